//go:build !windows

package pgtest

import (
	"os/exec"
	"syscall"
)

// detach puts the watchdog in its own process group, so that a signal to
// the test's group does not stop it before it has cleaned up.
func detach(c *exec.Cmd) { c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} }
