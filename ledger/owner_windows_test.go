//go:build windows

package ledger

import (
	"os"
	"os/exec"
	"testing"
)

// TestWindowsProcessAlive: the ledger's owner check without signals: this
// process is alive, a child that has exited is not (its pending records
// can then be taken over at once instead of after the lease).
func TestWindowsProcessAlive(t *testing.T) {
	if !processAlive(os.Getpid()) {
		t.Fatal("this process is not seen alive")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^$")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	if processAlive(cmd.Process.Pid) {
		t.Fatalf("pid %d of an ended child is seen alive", cmd.Process.Pid)
	}
	owner := newOwner()
	defer releaseOwner(owner)
	if ownerGone(owner) {
		t.Fatal("this process's own owner is taken for gone")
	}
}
