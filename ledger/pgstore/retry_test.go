package pgstore_test

import (
	"bytes"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tokenctl/tokenctl/internal/pgtest"
	"github.com/tokenctl/tokenctl/ledger"
	"github.com/tokenctl/tokenctl/seed"
)

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func rec(serial string) *ledger.Record {
	return &ledger.Record{Serial: serial, Family: ledger.Token2, Kind: seed.TOTP, Hash: seed.SHA1, State: ledger.Programmed, Created: time.Now(), Sealed: []byte("x")}
}

// TestSerializationFailureRetried: a replacement whose transaction loses
// to a concurrent one on the same record fails with 40001, is run again
// (logged), and then replaces the winner's record: nothing lost, one
// current record, the chain of replacements intact.
func TestSerializationFailureRetried(t *testing.T) {
	dsn := pgtest.Database(t)
	a, b := open(t, dsn), open(t, dsn)
	defer a.Close()
	defer b.Close()
	var log syncBuffer
	a.Logger = slog.New(slog.NewTextHandler(&log, nil))
	if err := a.Init(ctx, map[string]string{"k": "v"}); err != nil {
		t.Fatal(err)
	}
	first := rec("R")
	if err := a.Insert(ctx, []*ledger.Record{first}, ledger.InsertOptions{}); err != nil {
		t.Fatal(err)
	}
	inside, proceed := make(chan struct{}), make(chan struct{})
	calls := 0
	done := make(chan error)
	aRec := rec("R")
	go func() {
		done <- a.Insert(ctx, []*ledger.Record{aRec}, ledger.InsertOptions{Replace: true, MayReplace: func(old *ledger.Record) error {
			calls++
			if calls == 1 {
				close(inside)
				<-proceed
			}
			return nil
		}})
	}()
	select {
	case <-inside:
	case err := <-done:
		t.Fatalf("the replacement ended before its veto check: %v", err)
	}
	bRec := rec("R")
	if err := b.Insert(ctx, []*ledger.Record{bRec}, ledger.InsertOptions{Replace: true}); err != nil {
		t.Fatal(err)
	}
	close(proceed)
	if err := <-done; err != nil {
		t.Fatalf("the losing replacement: %v", err)
	}
	if calls < 2 || !strings.Contains(log.String(), "retrying") || !strings.Contains(log.String(), "40001") {
		t.Fatalf("MayReplace called %d times, log %q: want a logged retry", calls, log.String())
	}
	h, err := a.History(ctx, "R")
	if err != nil || len(h) != 3 || h[0].ReplacedBy != bRec.ID || h[1].ID != bRec.ID || h[1].ReplacedBy != aRec.ID || aRec.Replaces != bRec.ID || !h[2].Current() {
		t.Fatalf("history %v %v: want first -> b -> a", h, err)
	}
}
