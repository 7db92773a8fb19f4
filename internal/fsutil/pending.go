package fsutil

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Pending is a file being written under a temporary name beside its final
// path, private from its creation: Commit renames it into place, Abort
// removes it. It is WriteAtomic for callers that must write several files
// and commit all of them or none (a conversion split into one file per
// token type, plus its rejects file).
type Pending struct {
	*os.File
	path string
}

// tempMark sits between the final name and the random part of a temporary
// file's name: ".NAME.tmp-RANDOM".
const tempMark = ".tmp-"

// StaleAfter is how old a temporary file of ours must be before a new
// write to the same path removes it: one left by a run that was killed.
var StaleAfter = time.Hour

// CreatePending starts writing path: the temporary file is created with
// O_EXCL (never an existing file or a link planted under its name) and
// private. An existing path that is not a regular file is refused at once.
// Temporary files of earlier, killed writes to the same path (our name
// pattern, regular files of ours, older than StaleAfter) are removed.
func CreatePending(path string) (*Pending, error) {
	if err := CheckReplaceable(path); err != nil {
		return nil, err
	}
	removeStale(path)
	var last error
	for range 10 {
		var rnd [8]byte
		rand.Read(rnd[:])
		name := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+tempMark+hex.EncodeToString(rnd[:]))
		f, err := openPrivateFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL)
		if err == nil {
			return &Pending{File: f, path: path}, nil
		}
		last = err
		if !errors.Is(err, fs.ErrExist) {
			break
		}
	}
	return nil, fmt.Errorf("creating temporary file beside %s: %w", path, last)
}

// removeStale removes temporary files a killed run left beside path.
func removeStale(path string) {
	dir, prefix := filepath.Dir(path), "."+filepath.Base(path)+tempMark
	es, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range es {
		n := e.Name()
		if !strings.HasPrefix(n, prefix) || len(n) != len(prefix)+16 {
			continue
		}
		if _, err := hex.DecodeString(n[len(prefix):]); err != nil {
			continue
		}
		p := filepath.Join(dir, n)
		fi, err := os.Lstat(p)
		if err != nil || !fi.Mode().IsRegular() || time.Since(fi.ModTime()) < StaleAfter || checkOwnerOnly(p, fi) != nil {
			continue
		}
		os.Remove(p)
	}
}

// Path is the final path.
func (p *Pending) Path() string { return p.path }

// Commit syncs, closes and renames the file into place (replacing path
// only if it is a regular file).
func (p *Pending) Commit() error {
	if err := p.File.Sync(); err != nil {
		p.Abort()
		return fmt.Errorf("writing %s: %w", p.path, err)
	}
	if err := p.File.Close(); err != nil {
		os.Remove(p.File.Name())
		return fmt.Errorf("writing %s: %w", p.path, err)
	}
	if err := CheckReplaceable(p.path); err != nil {
		os.Remove(p.File.Name())
		return err
	}
	if err := replace(p.File.Name(), p.path); err != nil {
		os.Remove(p.File.Name())
		return fmt.Errorf("renaming into %s: %w", p.path, err)
	}
	if d, err := os.Open(filepath.Dir(p.path)); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// Abort closes and removes the temporary file; the final path is untouched.
func (p *Pending) Abort() {
	p.File.Close()
	os.Remove(p.File.Name())
}

// CreatePrivate creates path, which must not exist (O_EXCL: no file or link
// planted under its name is opened), private from its creation.
func CreatePrivate(path string) (*os.File, error) {
	return openPrivateFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL)
}

// replace is replaceFile; tests make it fail.
var replace = replaceFile

// CommitAll puts every pending file in place, or none: for a conversion
// that writes several files (--split, a rejects file). Every temporary file
// is synced and every target checked first; a target that already exists
// is copied aside (private) before it is replaced, and when a later rename
// fails (a file open in Excel on Windows, a full disk) the files already
// renamed are put back as they were. On error nothing is left behind but
// the old files. A crash in the middle may leave the copies beside their
// files, named ".NAME.bak-RANDOM".
func CommitAll(ps []*Pending) error {
	abortAll := func() {
		for _, p := range ps {
			p.Abort()
		}
	}
	for _, p := range ps {
		if err := p.File.Sync(); err != nil {
			abortAll()
			return fmt.Errorf("writing %s: %w", p.path, err)
		}
		if err := CheckReplaceable(p.path); err != nil {
			abortAll()
			return err
		}
	}
	for _, p := range ps {
		if err := p.File.Close(); err != nil {
			abortAll()
			return fmt.Errorf("writing %s: %w", p.path, err)
		}
	}
	type placed struct{ path, backup string }
	var did []placed
	undo := func() {
		for i := len(did) - 1; i >= 0; i-- {
			if did[i].backup != "" {
				replace(did[i].backup, did[i].path)
			} else {
				os.Remove(did[i].path)
			}
		}
		for _, p := range ps {
			os.Remove(p.File.Name())
		}
	}
	var backups []string
	defer func() {
		for _, b := range backups {
			os.Remove(b)
		}
	}()
	for _, p := range ps {
		backup, err := copyAside(p.path)
		if err != nil {
			undo()
			return err
		}
		if backup != "" {
			backups = append(backups, backup)
		}
		if err := replace(p.File.Name(), p.path); err != nil {
			undo()
			return fmt.Errorf("renaming into %s: %w; none of the %d files was changed", p.path, err, len(ps))
		}
		did = append(did, placed{p.path, backup})
	}
	for _, dir := range dirsOf(ps) {
		if d, err := os.Open(dir); err == nil {
			d.Sync()
			d.Close()
		}
	}
	return nil
}

// copyAside copies an existing path to a private file beside it and
// returns its name ("" when path does not exist).
func copyAside(path string) (string, error) {
	src, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	defer src.Close()
	var rnd [8]byte
	rand.Read(rnd[:])
	name := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".bak-"+hex.EncodeToString(rnd[:]))
	dst, err := openPrivateFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL)
	if err != nil {
		return "", fmt.Errorf("keeping a copy of %s: %w", path, err)
	}
	_, err = io.Copy(dst, src)
	if err == nil {
		err = dst.Sync()
	}
	if cerr := dst.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(name)
		return "", fmt.Errorf("keeping a copy of %s: %w", path, err)
	}
	return name, nil
}

func dirsOf(ps []*Pending) []string {
	seen := map[string]bool{}
	var out []string
	for _, p := range ps {
		if d := filepath.Dir(p.path); !seen[d] {
			seen[d] = true
			out = append(out, d)
		}
	}
	return out
}
