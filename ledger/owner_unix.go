//go:build unix

package ledger

import (
	"errors"
	"syscall"
)

// processAlive reports whether a process with this pid exists on this
// host (signal 0 checks for it without sending anything).
func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return !errors.Is(err, syscall.ESRCH)
}
