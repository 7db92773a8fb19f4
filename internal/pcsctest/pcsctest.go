// Package pcsctest gives integration tests the real PC/SC stack: it makes
// sure pcscd runs, and serializes tests per vpcd virtual reader across test
// processes (go test runs packages in parallel) with a file lock.
package pcsctest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/tokenctl/tokenctl/internal/testpeer"
	"github.com/tokenctl/tokenctl/nfc"
	"github.com/tokenctl/tokenctl/sim/vpcd"
)

const socket = "/run/pcscd/pcscd.comm"

// Require skips the test when pcscd or vpcd is missing, except under CI
// (CI=true), where their absence is a failure, and with -short. It starts pcscd when its
// socket is absent.
func Require(t testing.TB) {
	t.Helper()
	if testing.Short() {
		t.Skip("needs pcscd and the virtual readers: not run with -short (make test-short)")
	}
	if _, err := os.Stat("/usr/lib/pcsc/drivers/serial/libifdvpcd.so"); err != nil {
		missing(t, "vsmartcard-vpcd is not installed (make deps)")
	}
	if _, err := exec.LookPath("pcscd"); err != nil {
		missing(t, "pcscd is not installed (make deps)")
	}
	if _, err := os.Stat(socket); err == nil {
		return
	}
	if err := exec.Command("sh", "-c", "mkdir -p /run/pcscd && pcscd").Run(); err != nil {
		missing(t, fmt.Sprintf("starting pcscd: %v", err))
	}
	for i := 0; i < 50; i++ {
		if _, err := os.Stat(socket); err == nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	missing(t, "pcscd did not create "+socket)
}

func missing(t testing.TB, why string) {
	t.Helper()
	testpeer.Missing(t, why)
}

// LockReader takes an exclusive, cross-process lock on the virtual reader
// behind port for the rest of the test, then waits until pcscd sees that
// reader empty. pcscd polls vpcd: a card the previous holder left or pulled
// just before releasing the lock can still count as present, and a new card
// inserted then goes unnoticed (a client connecting meets "no smart card").
func LockReader(t testing.TB, port int) {
	t.Helper()
	p := filepath.Join(os.TempDir(), fmt.Sprintf("tokenctl-vpcd-%d.lock", port))
	f, err := os.OpenFile(p, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if err := lockFile(f); err != nil {
		f.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		unlockFile(f)
		f.Close()
		runtime.KeepAlive(f)
	})
	waitEmpty(t, vpcd.ReaderName(port))
}

// waitEmpty waits up to 15 s for pcscd to report reader without a card.
func waitEmpty(t testing.TB, reader string) {
	t.Helper()
	pc, err := nfc.NewContext()
	if err != nil {
		t.Fatalf("PC/SC context: %v", err)
	}
	defer pc.Release()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := pc.WaitForRemoval(ctx, reader); err != nil {
		t.Fatalf("%s: pcscd does not see it empty: %v", reader, err)
	}
}

// Host is a stream's view of the host side of the virtual reader behind
// port, through pcscd (each wait bounded by 15 s).
func Host(t testing.TB, port int) vpcd.Host {
	t.Helper()
	pc, err := nfc.NewContext()
	if err != nil {
		t.Fatalf("PC/SC context: %v", err)
	}
	t.Cleanup(func() { pc.Release() })
	return vpcd.PCSC{PC: pc, Port: port, Wait: 15 * time.Second}
}
