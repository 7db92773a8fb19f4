package pgstore_test

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/tokenctl/tokenctl/ledger"
	"github.com/tokenctl/tokenctl/ledger/pgstore"
	"github.com/tokenctl/tokenctl/seed"
)

const burnSerials = 40

// helperBurn is a station that "programs" serials K0000... in order,
// resuming what a killed station left pending (same secret), skipping
// what is programmed already.
func helperBurn(dsn, identityFile string) int {
	fail := func(err error) int {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	l, err := ledger.OpenSpec(ctx, dsn)
	if err != nil {
		return fail(err)
	}
	defer l.Close()
	idf, err := os.ReadFile(identityFile)
	if err != nil {
		return fail(err)
	}
	ids, err := age.ParseIdentities(bytes.NewReader(idf))
	if err != nil {
		return fail(err)
	}
	if err := l.Unlock(ctx, ids...); err != nil {
		return fail(err)
	}
	for i := range burnSerials {
		serial := fmt.Sprintf("K%04d", i)
		cur, err := l.Get(ctx, serial)
		var r *ledger.Record
		switch {
		case errors.Is(err, ledger.ErrNotFound):
			if r, err = l.Reserve(ctx, totp(serial), ledger.Entry{Family: ledger.Token2}); err != nil {
				return fail(err)
			}
		case err != nil:
			return fail(err)
		case cur.State == ledger.Programmed:
			continue
		default:
			var tok interface{ Wipe() }
			if r, tok, err = resume(l, serial); err != nil {
				return fail(err)
			}
			tok.Wipe()
		}
		time.Sleep(10 * time.Millisecond) // writing the device
		if _, err := l.MarkProgrammed(ctx, r, "station"); err != nil {
			return fail(err)
		}
	}
	return 0
}

func resume(l *ledger.Ledger, serial string) (*ledger.Record, interface{ Wipe() }, error) {
	r, tok, err := l.PendingFor(ctx, serial, "station")
	if err != nil {
		return nil, nil, err
	}
	return r, tok, nil
}

// TestKilledStations: stations SIGKILLed at random points, then one run to
// the end: every serial recorded exactly once, programmed, authentic, its
// secret opening; no record doubled, none lost.
func TestKilledStations(t *testing.T) {
	_, dsn, idf := newLedger(t)
	idPath := filepath.Join(t.TempDir(), "identity.txt")
	if err := os.WriteFile(idPath, idf, 0o600); err != nil {
		t.Fatal(err)
	}
	run := func(kill time.Duration) error {
		c := exec.Command(os.Args[0], "-test.run=^$")
		c.Env = append(os.Environ(), "PGSTORE_TEST_BURN="+dsn, "PGSTORE_TEST_IDENTITY="+idPath)
		var e bytes.Buffer
		c.Stderr = &e
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		if kill > 0 {
			time.AfterFunc(kill, func() { c.Process.Kill() })
		}
		err := c.Wait()
		if e.Len() > 0 {
			t.Logf("station: %s", e.String())
		}
		return err
	}
	killed := 0
	for range 6 {
		if err := run(time.Duration(30+rand.IntN(370)) * time.Millisecond); err != nil {
			killed++
		}
	}
	if err := run(0); err != nil {
		t.Fatalf("the last station: %v", err)
	}
	t.Logf("%d of 6 stations killed before the end", killed)
	if killed == 0 {
		t.Fatal("no station was killed: the test did not test")
	}
	l := openLedger(t, dsn, idf)
	if h, err := l.Verify(ctx, nil); err != nil || h.Records != burnSerials {
		t.Fatalf("verify: %+v %v", h, err)
	}
	s := l.Store().(*pgstore.Store)
	var rows, distinct, programmed int
	if err := s.Pool().QueryRow(ctx, `SELECT count(*), count(DISTINCT serial), count(*) FILTER (WHERE state = 'programmed') FROM tokens`).Scan(&rows, &distinct, &programmed); err != nil {
		t.Fatal(err)
	}
	if rows != burnSerials || distinct != burnSerials || programmed != burnSerials {
		t.Fatalf("%d records, %d serials, %d programmed; want %d of each", rows, distinct, programmed, burnSerials)
	}
	n := 0
	if err := l.Export(ctx, ledger.Filter{}, func(*ledger.Record, *seed.Token) error { n++; return nil }); err != nil || n != burnSerials {
		t.Fatalf("export: %d tokens, %v", n, err)
	}
}
