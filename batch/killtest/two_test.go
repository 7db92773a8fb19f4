package killtest

import (
	"bytes"
	"context"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/tokenctl/tokenctl/internal/pcsctest"
	"github.com/tokenctl/tokenctl/ledger"
	simt2 "github.com/tokenctl/tokenctl/sim/token2"
	"github.com/tokenctl/tokenctl/sim/vpcd"
)

// TestTwoBatchProcessesOneLedger runs two 'tokenctl batch token2'
// processes on one ledger, each at its own reader, both presented the same
// serials (two stations fed from mixed-up boxes): each serial is
// programmed by one of them only, and recorded once.
func TestTwoBatchProcessesOneLedger(t *testing.T) {
	pcsctest.Require(t)
	bin := buildCLI(t)
	pcsctest.LockReader(t, vpcd.Port0)
	pcsctest.LockReader(t, vpcd.Port1)
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	dir := t.TempDir()
	led, key := filepath.Join(dir, "shared.ledger"), filepath.Join(dir, "shared.age")
	if out, err := exec.Command(bin, "ledger", "init", "--identity-out", key, led).CombinedOutput(); err != nil {
		t.Fatalf("ledger init: %v\n%s", err, out)
	}
	const n = 8
	var streams []*simt2.Stream
	var done []chan error
	var procs []*exec.Cmd
	var outs []*bytes.Buffer
	// Station 0 gets serials 101..108, station 1 105..112: both race
	// for 105..108. A token the other station already has is skipped:
	// the operator takes it away (here: after 1 s idle).
	for i, port := range []int{vpcd.Port0, vpcd.Port1} {
		first := []string{"86596120101", "86596120105"}[i]
		s := &simt2.Stream{Port: port, FirstSerial: first, Count: n, Settle: 500 * time.Millisecond, Idle: time.Second}
		d := make(chan error, 1)
		go func() { d <- s.Run(ctx) }()
		streams, done = append(streams, s), append(done, d)
		cmd := exec.CommandContext(ctx, bin, "--json", "batch", "token2", "--ledger", led, "--reader", vpcd.ReaderName(port),
			"--batch", vpcd.ReaderName(port), "--identity-file", key)
		var o, e bytes.Buffer
		cmd.Stdout, cmd.Stderr = &o, &e
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		procs, outs = append(procs, cmd), append(outs, &o)
		t.Cleanup(func() {
			if t.Failed() {
				t.Logf("batch at %s:\n%s\n%s", vpcd.ReaderName(port), o.String(), e.String())
			}
		})
	}
	for _, d := range done {
		if err := <-d; err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range procs {
		p.Process.Signal(syscall.SIGINT)
		if err := p.Wait(); err != nil {
			t.Fatalf("batch: %v", err)
		}
	}
	l, err := ledger.OpenFile(ctx, led)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	ids, _ := ledger.ReadIdentityFile(key)
	if err := l.Unlock(ctx, ids...); err != nil {
		t.Fatal(err)
	}
	perStation := [2]int{}
	type held struct {
		writes int
		seed   []byte
	}
	bySerial := map[string]*held{}
	for i, s := range streams {
		for _, tk := range s.Tokens() {
			st := tk.State()
			h := bySerial[st.Serial]
			if h == nil {
				h = &held{}
				bySerial[st.Serial] = h
			}
			h.writes += st.SeedWrites
			if st.SeedWrites > 0 {
				h.seed = st.Seed
				perStation[i]++
			}
		}
	}
	if len(bySerial) != n+4 {
		t.Fatalf("%d serials presented, want %d", len(bySerial), n+4)
	}
	for serial, h := range bySerial {
		if h.writes != 1 {
			t.Errorf("serial %s programmed %d times", serial, h.writes)
			continue
		}
		recs, err := l.History(ctx, serial)
		if err != nil || len(recs) != 1 || recs[0].State != ledger.Programmed {
			t.Fatalf("serial %s: %d records (%v)", serial, len(recs), err)
		}
		tok, err := l.Token(recs[0])
		if err != nil || !bytes.Equal(tok.Secret, h.seed) {
			t.Fatalf("serial %s: ledger and token differ (%v)", serial, err)
		}
	}
	for i, o := range outs {
		if done, _ := outcomes(o.Bytes()); done != perStation[i] {
			t.Errorf("station %d reports %d tokens programmed, its emulator holds %d", i, done, perStation[i])
		}
	}
	t.Logf("tokens programmed per station: %v", perStation)
}
