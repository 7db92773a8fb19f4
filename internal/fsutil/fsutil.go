// Package fsutil writes files the way secrets need: mode 0600, through a
// temporary file in the same directory and a rename, so a reader sees either
// the old file or the whole new one, never half of it.
package fsutil

import (
	"fmt"
	"io"
	"os"
)

// WriteAtomic creates or replaces path with what fill writes, mode 0600.
// When fill fails, nothing is left behind and path is untouched.
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

// Append adds b to path (created 0600 if missing) in a single write and
// syncs it, so concurrent appenders never interleave within one record.
// An existing file that others can read is refused rather than extended.
func Append(path string, b []byte) error {
	f, err := openPrivate(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := f.Write(b); err != nil {
		return fmt.Errorf("appending to %s: %w", path, err)
	}
	return f.Sync()
}

// CheckAppendable makes sure Append can extend path: it creates the file
// (empty, 0600) when it is missing, and refuses one that others can read.
// Callers run it before they produce a secret that must then be appended.
func CheckAppendable(path string) error {
	f, err := openPrivate(path)
	if err != nil {
		return err
	}
	return f.Close()
}

// openPrivate opens path for appending, created 0600 if missing, and
// refuses it when group or others have any access.
func openPrivate(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if err := CheckPrivate(path, st); err != nil {
		f.Close()
		return nil, fmt.Errorf("%w: refusing to append secrets; chmod 600 it first", err)
	}
	return f, nil
}
