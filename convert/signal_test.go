//go:build unix

package convert

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestCancelOnSignal: a SIGINT to the process stops a conversion under
// way: it fails with ErrCanceled, and neither the output nor a temporary
// file is left.
func TestCancelOnSignal(t *testing.T) {
	var o Options
	stop := o.CancelOnSignal()
	defer stop()
	if err := syscall.Kill(os.Getpid(), syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case <-o.Cancel:
	case <-time.After(10 * time.Second):
		t.Fatal("SIGINT did not cancel")
	}
	dir := t.TempDir()
	in := filepath.Join(dir, "in.csv")
	if err := os.WriteFile(in, []byte(strings.Repeat("T1,3132333435363738393031323334353637383930,30\n", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out.csv")
	_, err := Run([]string{in}, "duo-totp", "duo", out, &o)
	if !errors.Is(err, ErrCanceled) {
		t.Fatalf("after SIGINT: %v", err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("left behind: %v", ents)
	}
}
