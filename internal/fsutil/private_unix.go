//go:build unix

package fsutil

import (
	"fmt"
	"io/fs"
	"os"
	"syscall"
)

func checkOwnerOnly(path string, fi fs.FileInfo) error {
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return fmt.Errorf("%s is open to others (mode %o): %w", path, perm, ErrNotPrivate)
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && int(st.Uid) != os.Geteuid() {
		return fmt.Errorf("%s belongs to another user (uid %d): %w", path, st.Uid, ErrNotPrivate)
	}
	return nil
}

// openPrivateFile opens path with flag (O_CREATE creates it 0600), never
// following a symbolic link at its last component. A file it creates is
// owner-only from the start: the umask can only take bits away from 0600.
func openPrivateFile(path string, flag int) (*os.File, error) {
	return os.OpenFile(path, flag|syscall.O_NOFOLLOW|syscall.O_CLOEXEC|syscall.O_NONBLOCK, 0o600)
}

// isSymlinkRefusal tells an open refused by O_NOFOLLOW (ELOOP) apart.
func isSymlinkRefusal(err error) bool {
	pe, ok := err.(*os.PathError)
	return ok && pe.Err == syscall.ELOOP
}

// lockFile takes an exclusive lock on f, waiting for other writers.
func lockFile(f *os.File) error { return syscall.Flock(int(f.Fd()), syscall.LOCK_EX) }

func unlockFile(f *os.File) error { return syscall.Flock(int(f.Fd()), syscall.LOCK_UN) }

// replaceFile renames from over to (rename(2) is atomic).
func replaceFile(from, to string) error { return os.Rename(from, to) }

// checkHandle judges the file open as f by fstat (what was opened, not what
// the name points to now).
func checkHandle(path string, f *os.File) error {
	st, err := f.Stat()
	if err != nil {
		return err
	}
	return CheckPrivate(path, st)
}
