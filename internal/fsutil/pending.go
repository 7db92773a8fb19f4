package fsutil

import (
	"fmt"
	"os"
	"path/filepath"
)

// Pending is a file being written under a temporary name beside its final
// path, mode 0600: Commit renames it into place, Abort removes it. It is
// WriteAtomic for callers that must write several files and commit all of
// them or none (a conversion split into one file per token type, plus its
// rejects file).
type Pending struct {
	*os.File
	path string
}

// CreatePending starts writing path.
func CreatePending(path string) (*Pending, error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("creating temporary file beside %s: %w", path, err)
	}
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return nil, err
	}
	return &Pending{File: tmp, path: path}, nil
}

// Path is the final path.
func (p *Pending) Path() string { return p.path }

// Commit syncs, closes and renames the file into place.
func (p *Pending) Commit() error {
	if err := p.File.Sync(); err != nil {
		p.Abort()
		return fmt.Errorf("writing %s: %w", p.path, err)
	}
	if err := p.File.Close(); err != nil {
		os.Remove(p.File.Name())
		return fmt.Errorf("writing %s: %w", p.path, err)
	}
	if err := os.Rename(p.File.Name(), p.path); err != nil {
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
