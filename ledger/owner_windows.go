//go:build windows

package ledger

import (
	"errors"

	"golang.org/x/sys/windows"
)

// processAlive reports whether a process with this pid is running on this
// host: Windows has no signal 0, so the process is opened for a query and
// its exit code read (STILL_ACTIVE while it runs). A pid that cannot be
// opened for lack of rights belongs to a live process.
func processAlive(pid int) bool {
	h, err := windows.OpenProcess(windows.PROCESS_QUERY_LIMITED_INFORMATION, false, uint32(pid))
	if err != nil {
		return errors.Is(err, windows.ERROR_ACCESS_DENIED)
	}
	defer windows.CloseHandle(h)
	var code uint32
	if err := windows.GetExitCodeProcess(h, &code); err != nil {
		return true
	}
	const stillActive = 259
	return code == stillActive
}
