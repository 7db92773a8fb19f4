package killtest

import (
	"bytes"
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tokenctl/tokenctl/internal/pcsctest"
	"github.com/tokenctl/tokenctl/internal/pgtest"
	"github.com/tokenctl/tokenctl/ledger"
	_ "github.com/tokenctl/tokenctl/ledger/pgstore"
	simt2 "github.com/tokenctl/tokenctl/sim/token2"
	"github.com/tokenctl/tokenctl/sim/vpcd"
)

// TestTwoBatchProcessesOneLedger runs two 'tokenctl batch token2'
// processes on one ledger, each at its own reader, both presented the same
// serials at the same time (two stations fed from mixed-up boxes): each
// serial is programmed by one of them only, and recorded once.
func TestTwoBatchProcessesOneLedger(t *testing.T) {
	pcsctest.Require(t)
	twoStations(t, filepath.Join(t.TempDir(), "shared.ledger"))
}

// TestTwoBatchProcessesOnePostgres: the same, the two stations sharing a
// ledger in a PostgreSQL database (a private cluster).
func TestTwoBatchProcessesOnePostgres(t *testing.T) {
	pcsctest.Require(t)
	twoStations(t, pgtest.Database(t))
}

func twoStations(t *testing.T, led string) {
	bin := buildCLI(t)
	pcsctest.LockReader(t, vpcd.Port0)
	pcsctest.LockReader(t, vpcd.Port1)
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	dir := t.TempDir()
	key := filepath.Join(dir, "shared.age")
	if out, err := exec.Command(bin, "ledger", "init", "--identity-out", key, led).CombinedOutput(); err != nil {
		t.Fatalf("ledger init: %v\n%s", err, out)
	}
	const n = 8
	var streams []*simt2.Stream
	var done []chan error
	var procs []*exec.Cmd
	var outs []*bytes.Buffer
	// Both stations get serials 101..108, in the same order and at the
	// same time: they race for each one (the first few at least, until
	// skips put them out of step). A token the other station has is
	// skipped: the operator takes it away (here: after 1 s idle).
	for _, port := range []int{vpcd.Port0, vpcd.Port1} {
		s := &simt2.Stream{Port: port, FirstSerial: "86596120101", Count: n, Host: pcsctest.Host(t, port), Idle: time.Second}
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
	if ctx.Err() != nil {
		// A stream ends without error when ctx does: say where each stood.
		for i, s := range streams {
			for _, tk := range s.Tokens() {
				st := tk.State()
				t.Logf("station %d: token %s answered %d APDUs, %d seed writes", i, st.Serial, st.APDUs, st.SeedWrites)
			}
		}
		t.Fatalf("the emulated tokens were not all taken within the budget: %v", ctx.Err())
	}
	for i, p := range procs {
		t0 := time.Now()
		p.Process.Signal(syscall.SIGINT)
		if err := p.Wait(); err != nil {
			t.Fatalf("batch at station %d, after SIGINT: %v", i, err)
		}
		t.Logf("station %d ended %v after SIGINT", i, time.Since(t0).Round(time.Millisecond))
	}
	l, err := ledger.OpenSpec(ctx, led)
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
	if len(bySerial) != n {
		t.Fatalf("%d serials presented, want %d", len(bySerial), n)
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
	if perStation[0]+perStation[1] != n {
		t.Errorf("tokens programmed per station %v, want %d in all", perStation, n)
	}
	// How the losing station learnt of each serial: already recorded when
	// it looked, or taken by the other between its look and its reserve.
	lost := map[string]int{}
	for i, o := range outs {
		if done, _ := outcomes(o.Bytes()); done != perStation[i] {
			t.Errorf("station %d reports %d tokens programmed, its emulator holds %d", i, done, perStation[i])
		}
		for _, r := range results(o.Bytes()) {
			if r.Outcome == "skipped" {
				lost[strings.SplitN(r.Error, " (", 2)[0]]++
			}
		}
	}
	t.Logf("tokens programmed per station: %v; skips: %v", perStation, lost)
}
