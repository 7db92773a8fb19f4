package fsutil

import (
	"fmt"
	"io/fs"
)

// CheckPrivate returns an error naming path and its mode when fi (the
// result of stating path) grants group or others any access; callers add
// what they refuse to do. A nil error means the file is private to its
// owner.
func CheckPrivate(path string, fi fs.FileInfo) error {
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return fmt.Errorf("%s is readable by others (mode %o)", path, perm)
	}
	return nil
}
