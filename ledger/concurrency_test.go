package ledger

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestMain doubles as a helper process for the multi-process tests.
func TestMain(m *testing.M) {
	if path := os.Getenv("LEDGER_TEST_HELPER"); path != "" {
		os.Exit(helperReserve(path))
	}
	// What tests' ledgers leave on "this machine" (their keys, heads) goes
	// to a folder of the run's, not the user's configuration.
	if os.Getenv("TOKENCTL_CONFIG_DIR") == "" {
		d, err := os.MkdirTemp("", "tokenctl-config-")
		if err != nil {
			panic(err)
		}
		os.Setenv("TOKENCTL_CONFIG_DIR", d)
		code := m.Run()
		os.RemoveAll(d)
		os.Exit(code)
	}
	os.Exit(m.Run())
}

// helperReserve tries to reserve and program serials 0..N-1 in a random
// order and prints each one it won.
func helperReserve(path string) int {
	l, err := OpenFile(ctx, path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer l.Close()
	// Start together: wait for the parent's go.
	bufio.NewReader(os.Stdin).ReadString('\n')
	n := 40
	order := rand.Perm(n)
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	for _, i := range order {
		r, err := l.Reserve(ctx, totp(fmt.Sprintf("S%03d", i)), Entry{Family: Token2, Batch: fmt.Sprint(os.Getpid())})
		var ee *ExistsError
		if errors.As(err, &ee) {
			continue
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		if _, err := l.MarkProgrammed(ctx, r, ""); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		fmt.Fprintln(out, r.Serial)
	}
	return 0
}

// TestTwoProcessesNeverShareASerial runs three real processes reserving
// the same 40 serials on one ledger file.
func TestTwoProcessesNeverShareASerial(t *testing.T) {
	_, path, _ := newLedger(t, CreateOptions{})
	const procs = 3
	var cmds []*exec.Cmd
	var outs []*bytes.Buffer
	var gos []io.WriteCloser
	for i := 0; i < procs; i++ {
		c := exec.Command(os.Args[0], "-test.run=^$")
		c.Env = append(os.Environ(), "LEDGER_TEST_HELPER="+path)
		var o, e bytes.Buffer
		c.Stdout, c.Stderr = &o, &e
		in, err := c.StdinPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		gos = append(gos, in)
		cmds, outs = append(cmds, c), append(outs, &o)
		t.Cleanup(func() {
			if e.Len() > 0 {
				t.Logf("helper stderr: %s", e.String())
			}
		})
	}
	time.Sleep(200 * time.Millisecond) // let them open the ledger
	for _, in := range gos {
		in.Write([]byte("go\n"))
		in.Close()
	}
	for _, c := range cmds {
		if err := c.Wait(); err != nil {
			t.Fatalf("helper: %v", err)
		}
	}
	won := map[string]int{}
	winners := map[int]int{}
	for i, o := range outs {
		for _, s := range strings.Fields(o.String()) {
			won[s]++
			winners[i]++
		}
	}
	if len(won) != 40 {
		t.Fatalf("%d serials programmed, want 40", len(won))
	}
	for s, n := range won {
		if n != 1 {
			t.Errorf("serial %s programmed by %d processes", s, n)
		}
	}
	t.Logf("serials won per process: %v", winners)
	l := openLedger(t, path, nil)
	var rows int
	l.Store().(*SQLite).DB().QueryRow(`SELECT count(*) FROM tokens`).Scan(&rows)
	if rows != 40 {
		t.Fatalf("%d rows in the ledger, want 40", rows)
	}
}

// TestGoroutinesResumeRace: several ledgers (separate connections) race to
// take over the same abandoned pending records; each is taken by one.
func TestGoroutinesResumeRace(t *testing.T) {
	_, path, idf := newLedger(t, CreateOptions{})
	crashed := openLedger(t, path, nil)
	for i := 0; i < 20; i++ {
		if _, err := crashed.Reserve(ctx, totp(fmt.Sprintf("R%02d", i)), Entry{Family: Token2}); err != nil {
			t.Fatal(err)
		}
	}
	crashed.Close()
	const workers = 4
	var ls []*Ledger
	for w := 0; w < workers; w++ {
		ls = append(ls, openLedger(t, path, idf))
	}
	var mu sync.Mutex
	took := map[string]int{}
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(l *Ledger) {
			defer wg.Done()
			for _, i := range rand.Perm(20) {
				serial := fmt.Sprintf("R%02d", i)
				r, _, err := l.PendingFor(ctx, serial, "")
				var ce *ClaimedError
				var se *StateError
				if errors.As(err, &ce) || errors.As(err, &se) {
					continue
				}
				if err != nil {
					t.Error(err)
					return
				}
				if _, err := l.MarkProgrammed(ctx, r, ""); err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				took[serial]++
				mu.Unlock()
			}
		}(ls[w])
	}
	wg.Wait()
	if len(took) != 20 {
		t.Fatalf("%d of 20 resumed", len(took))
	}
	for s, n := range took {
		if n != 1 {
			t.Errorf("%s resumed %d times", s, n)
		}
	}
}
