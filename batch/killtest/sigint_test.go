package killtest

import (
	"bufio"
	"context"
	"io"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tokenctl/tokenctl/internal/pcsctest"
	"github.com/tokenctl/tokenctl/sim/vpcd"
)

// Interrupts is how many times TestSIGINTWhileWaitingForCard interrupts a
// batch (the issue asks for at least 50).
const Interrupts = 50

// TestSIGINTWhileWaitingForCard interrupts 'tokenctl batch token2' while it
// waits for the next token on an empty reader, Interrupts times: each run
// must end within a second of SIGINT, with exit status 0 and "interrupted"
// (Ctrl-C at the reader is how an operator ends an open-ended batch).
func TestSIGINTWhileWaitingForCard(t *testing.T) {
	pcsctest.Require(t)
	bin := buildCLI(t)
	pcsctest.LockReader(t, vpcd.Port0)
	dir := t.TempDir()
	led, key := filepath.Join(dir, "int.ledger"), filepath.Join(dir, "int.age")
	if out, err := exec.Command(bin, "ledger", "init", "--identity-out", key, led).CombinedOutput(); err != nil {
		t.Fatalf("ledger init: %v\n%s", err, out)
	}
	var took []time.Duration
	for run := 0; run < Interrupts; run++ {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		cmd := exec.CommandContext(ctx, bin, "batch", "token2", "--ledger", led, "--identity-file", key,
			"--reader", vpcd.ReaderName(vpcd.Port0), "--batch", "sigint")
		stderr, err := cmd.StderrPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Wait for the prompt: the batch is then waiting for a card.
		sc := bufio.NewScanner(stderr)
		var seen []string
		for sc.Scan() {
			seen = append(seen, sc.Text())
			if strings.HasPrefix(sc.Text(), "present ") {
				break
			}
		}
		if len(seen) == 0 || !strings.HasPrefix(seen[len(seen)-1], "present ") {
			cancel()
			cmd.Wait()
			t.Fatalf("run %d: no prompt from the batch:\n%s", run, strings.Join(seen, "\n"))
		}
		// Give the wait a moment to be inside pcscd, at a varying point.
		time.Sleep(time.Duration(run%10) * 20 * time.Millisecond)
		t0 := time.Now()
		cmd.Process.Signal(syscall.SIGINT)
		rest, _ := io.ReadAll(stderr)
		err = cmd.Wait()
		d := time.Since(t0)
		cancel()
		took = append(took, d)
		if err != nil || !strings.Contains(string(rest), "interrupted") {
			t.Fatalf("run %d: after SIGINT: %v\n%s%s", run, err, strings.Join(seen, "\n"), rest)
		}
		if d > time.Second {
			t.Errorf("run %d: the batch took %v to end after SIGINT", run, d)
		}
	}
	slices.Sort(took)
	t.Logf("%d interrupts: median %v, slowest %v", len(took), took[len(took)/2].Round(time.Millisecond), took[len(took)-1].Round(time.Millisecond))
}
