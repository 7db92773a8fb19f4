package fsutil

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// ErrNotPrivate is wrapped by every refusal of a file that is not private
// to the current user: owned by someone else, open to others, or not a
// regular file (a symlink, a device, a FIFO, a directory).
var ErrNotPrivate = errors.New("not a private regular file")

// CheckPrivate returns an error naming path when the file fi describes (the
// result of stating it, or of f.Stat on an open handle) is not private to
// the current user: on Unix, group or others have any access or another
// user owns it; on Windows, its owner is another account or its access list
// grants anyone but the current user, SYSTEM and Administrators. Callers
// add what they refuse to do. A nil error means the file is private.
func CheckPrivate(path string, fi fs.FileInfo) error {
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%s is not a regular file (%s): %w", path, fileKind(fi.Mode()), ErrNotPrivate)
	}
	return checkOwnerOnly(path, fi)
}

// fileKind names a non-regular file type for messages.
func fileKind(m fs.FileMode) string {
	switch {
	case m&fs.ModeSymlink != 0:
		return "a symbolic link"
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeDevice != 0:
		return "a device"
	case m&fs.ModeIrregular != 0:
		return "a reparse point or other special file"
	}
	return m.Type().String()
}

// CheckReplaceable refuses to let path be replaced when it exists and is
// not a regular file: --force overwrites files, never a device node, a
// FIFO, a socket, a directory or a link (which would be replaced by a file,
// silently breaking what it pointed to).
func CheckReplaceable(path string) error {
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%s is %s: refusing to replace it", path, fileKind(fi.Mode()))
	}
	return nil
}

// ReadPrivate reads a small key file (at most limit bytes) that must be
// private to the current user (CheckPrivate, judged on the open file).
func ReadPrivate(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if err := CheckPrivate(path, st); err != nil {
		return nil, err
	}
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err == nil && int64(len(b)) > limit {
		err = fmt.Errorf("%s: longer than %d bytes", path, limit)
	}
	return b, err
}
