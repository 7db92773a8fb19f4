// Package fsutil writes files the way secrets need: private to the current
// user from their creation (mode 0600 on Unix, an owner-only access list on
// Windows), through a temporary file in the same directory and a rename, so
// a reader sees either the old file or the whole new one, never half of it.
// Appends never follow a symbolic link or reparse point, extend only a
// regular file that the current user owns and nobody else may open, and
// hold an exclusive lock while they write.
package fsutil

import (
	"errors"
	"fmt"
	"io"
	"os"
)

// WriteAtomic creates or replaces path with what fill writes, private.
// When fill fails, nothing is left behind and path is untouched. An
// existing path that is not a regular file is refused (CheckReplaceable).
func WriteAtomic(path string, fill func(w io.Writer) error) error {
	p, err := CreatePending(path)
	if err != nil {
		return err
	}
	if err := fill(p); err != nil {
		p.Abort()
		return err
	}
	return p.Commit()
}

// Append adds b to path (created private if missing) in a single write
// under an exclusive lock, and syncs it, so concurrent appenders never
// interleave within one record. A file that is not private is refused
// rather than extended.
func Append(path string, b []byte) error {
	a, err := OpenAppend(path)
	if err != nil {
		return err
	}
	if err := a.Write(b); err != nil {
		a.Close()
		return err
	}
	return a.Close()
}

// CheckAppendable makes sure Append can extend path: it creates the file
// (empty, private) when it is missing, and refuses one that is not a
// private regular file of the current user. Callers run it before they
// produce a secret that must then be appended (before a device is written).
func CheckAppendable(path string) error {
	a, err := OpenAppend(path)
	if err != nil {
		return err
	}
	return a.Close()
}

// Appender is a log file opened, checked and ready to take records: open it
// before a device is touched, so a refused log leaves the device as it was.
type Appender struct {
	f    *os.File
	path string
}

// OpenAppend opens path for appending (created private if missing) after
// the checks Append makes. The file stays open until Close.
func OpenAppend(path string) (*Appender, error) {
	f, err := openPrivate(path)
	if err != nil {
		return nil, err
	}
	return &Appender{f: f, path: path}, nil
}

// Path is the file's path.
func (a *Appender) Path() string { return a.path }

// Write appends b in one write under an exclusive lock and syncs it.
func (a *Appender) Write(b []byte) error {
	if err := lockFile(a.f); err != nil {
		return fmt.Errorf("locking %s: %w", a.path, err)
	}
	defer unlockFile(a.f)
	if _, err := a.f.Write(b); err != nil {
		return fmt.Errorf("appending to %s: %w", a.path, err)
	}
	if err := a.f.Sync(); err != nil {
		return fmt.Errorf("appending to %s: %w", a.path, err)
	}
	return nil
}

// Close closes the file.
func (a *Appender) Close() error { return a.f.Close() }

// openPrivate opens path for appending, created private if missing, and
// refuses a symbolic link (never followed), anything but a regular file,
// and a file another user owns or others may open.
func openPrivate(path string) (*os.File, error) {
	f, err := openPrivateFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE)
	if err != nil {
		if isSymlinkRefusal(err) {
			return nil, fmt.Errorf("%s is a symbolic link: refusing to follow it to append secrets: %w", path, ErrNotPrivate)
		}
		if errors.Is(err, ErrNotPrivate) {
			return nil, fmt.Errorf("%w; refusing to append secrets", err)
		}
		return nil, err
	}
	if err := checkHandle(path, f); err != nil {
		f.Close()
		return nil, fmt.Errorf("%w; refusing to append secrets (make it a private file of yours first)", err)
	}
	return f, nil
}
