package fsutil

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
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
	if err := replaceFile(p.File.Name(), p.path); err != nil {
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
