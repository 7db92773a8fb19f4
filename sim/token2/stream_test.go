package token2_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/tokenctl/tokenctl/internal/pcsctest"
	"github.com/tokenctl/tokenctl/nfc"
	"github.com/tokenctl/tokenctl/seed"
	simt2 "github.com/tokenctl/tokenctl/sim/token2"
	"github.com/tokenctl/tokenctl/sim/vpcd"
	"github.com/tokenctl/tokenctl/token2"
)

func pcsc(t *testing.T) (context.Context, *nfc.Context, string) {
	t.Helper()
	pcsctest.Require(t)
	pcsctest.LockReader(t, vpcd.Port0)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	pc, err := nfc.NewContext()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Release() })
	reader := vpcd.ReaderName(vpcd.Port0)
	if err := pc.WaitForRemoval(ctx, reader); err != nil {
		t.Fatal(err)
	}
	return ctx, pc, reader
}

func run(t *testing.T, ctx context.Context, s *simt2.Stream) {
	t.Helper()
	sctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- s.Run(sctx) }()
	t.Cleanup(func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("stream: %v", err)
		}
		time.Sleep(simt2.DefaultSettle)
	})
}

// burnNext is the host side of one token of a batch.
func burnNext(ctx context.Context, pc *nfc.Context, reader string, secret []byte) (*token2.Info, error) {
	if err := pc.WaitForCard(ctx, reader); err != nil {
		return nil, err
	}
	card, err := pc.Connect(reader)
	if err != nil {
		return nil, err
	}
	defer card.Close()
	return token2.NewSession(card).Burn(secret, token2.Params{Hash: seed.SHA1, Period: 30})
}

func TestStreamBatchWithFaults(t *testing.T) {
	ctx, pc, reader := pcsc(t)
	s := &simt2.Stream{
		Port:        vpcd.Port0,
		FirstSerial: "86596220001", // restricted model
		Count:       3,
		PullAfter: func(i int) int {
			if i == 1 {
				return 4 // after the configuration write
			}
			return 0
		},
	}
	run(t, ctx, s)
	secrets := [][]byte{[]byte("secret-number-one-20"), []byte("secret-number-two-20"), []byte("secret-number-3-20by")}
	for i, sec := range secrets {
		info, err := burnNext(ctx, pc, reader, sec)
		if i == 1 {
			// Pulled after the configuration write: the seed write fails,
			// the error says the token may hold no seed.
			var we *token2.WriteError
			if !errors.As(err, &we) || !we.SeedLost || !nfc.Removed(err) {
				t.Fatalf("token 2: %v", err)
			}
			if err := pc.WaitForRemoval(ctx, reader); err != nil {
				t.Fatal(err)
			}
			if st := s.Tokens()[1].State(); st.Seed != nil || st.ConfigWrites != 1 {
				t.Fatalf("faulted token state %+v", st)
			}
			// The operator puts it back; it is the same token.
			info, err = burnNext(ctx, pc, reader, sec)
		}
		if err != nil {
			t.Fatalf("token %d: %v", i+1, err)
		}
		if want := fmt.Sprintf("8659622000%d", i+1); info.Serial != want {
			t.Fatalf("token %d serial %s, want %s", i+1, info.Serial, want)
		}
		if err := pc.WaitForRemoval(ctx, reader); err != nil {
			t.Fatal(err)
		}
	}
	toks := s.Tokens()
	if len(toks) != 3 {
		t.Fatalf("%d tokens presented", len(toks))
	}
	for i, tok := range toks {
		if !bytes.Equal(tok.State().Seed, secrets[i]) {
			t.Errorf("token %d holds another seed", i+1)
		}
	}
}

func TestStreamLoseResponseAndBadAuth(t *testing.T) {
	ctx, pc, reader := pcsc(t)
	s := &simt2.Stream{
		Port:         vpcd.Port0,
		Count:        2,
		LoseResponse: func(i int) int { return map[int]int{0: 5}[i] }, // the seed write executes, its answer is lost
		BadAuth:      func(i int) bool { return i == 1 },
	}
	run(t, ctx, s)
	_, err := burnNext(ctx, pc, reader, secret20)
	if err == nil || !nfc.Removed(err) {
		t.Fatalf("lost answer: %v", err)
	}
	if !bytes.Equal(s.Tokens()[0].State().Seed, secret20) {
		t.Fatal("the seed write should have executed")
	}
	if err := pc.WaitForRemoval(ctx, reader); err != nil {
		t.Fatal(err)
	}
	// Reinserted: burn it again (idempotent), then it is released.
	if _, err := burnNext(ctx, pc, reader, secret20); err != nil {
		t.Fatal(err)
	}
	if err := pc.WaitForRemoval(ctx, reader); err != nil {
		t.Fatal(err)
	}
	_, err = burnNext(ctx, pc, reader, secret20)
	if !errors.Is(err, token2.ErrAuthFailed) {
		t.Fatalf("bad key token: %v", err)
	}
	if st := s.Tokens()[1].State(); st.Auths != 1 || st.Seed != nil {
		t.Fatalf("bad key token state %+v", st)
	}
	// A failed authentication counts as the host being done with it.
	if err := pc.WaitForRemoval(ctx, reader); err != nil {
		t.Fatal(err)
	}
}

func TestContactT0ThroughPCSC(t *testing.T) {
	ctx, pc, reader := pcsc(t)
	s := &simt2.Stream{Port: vpcd.Port0, Count: 1, FirstSerial: "86596100001", Options: simt2.Options{Contact: true}}
	run(t, ctx, s)
	info, err := burnNext(ctx, pc, reader, secret20)
	if err != nil {
		t.Fatal(err)
	}
	if info.Model.Name != "C301-i" {
		t.Fatalf("%+v", info)
	}
	st := s.Tokens()[0].State()
	if !bytes.Equal(st.Seed, secret20) {
		t.Fatal("seed not written over T=0")
	}
	// get info and get challenge answered through GET RESPONSE (INS C0).
	if n := bytes.Count(st.Log, []byte{0xC0}); n != 2 {
		t.Fatalf("%d GET RESPONSE in % X", n, st.Log)
	}
}

func TestInfoDoesNotConsumeToken(t *testing.T) {
	ctx, pc, reader := pcsc(t)
	s := &simt2.Stream{Port: vpcd.Port0, Count: 2}
	run(t, ctx, s)
	for i := 0; i < 2; i++ {
		if err := pc.WaitForCard(ctx, reader); err != nil {
			t.Fatal(err)
		}
		card, err := pc.Connect(reader)
		if err != nil {
			t.Fatal(err)
		}
		info, err := token2.NewSession(card).Info()
		card.Close()
		if err != nil || info.Serial != simt2.DefaultSerial {
			t.Fatalf("info %d: %+v %v", i, info, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if n := len(s.Tokens()); n != 1 {
		t.Fatalf("%d tokens presented after two info reads", n)
	}
	s.Remove()
	if err := pc.WaitForRemoval(ctx, reader); err != nil {
		t.Fatal(err)
	}
	if err := pc.WaitForCard(ctx, reader); err != nil {
		t.Fatal(err)
	}
}

// readsFirst is a Host that, once pcscd reports the card, reads its info
// before saying so: the station that talked to the token while the
// stream was still waiting for the host to confirm it.
type readsFirst struct {
	vpcd.PCSC
	reader string
}

func (h readsFirst) Ready(ctx context.Context) error {
	if err := h.PCSC.Ready(ctx); err != nil {
		return err
	}
	card, err := h.PC.Connect(h.reader)
	if err != nil {
		return err
	}
	_, err = token2.NewSession(card).Info()
	card.Close()
	return err
}

// TestIdleCountsExchangesBeforeReady: a token whose only exchange (the
// serial read of a station that then skips it) came before InsertReady
// returned is still taken out after Idle. It stayed in the reader for
// good when the stream took its baseline after InsertReady, and the kill
// test's two stations then waited on it until their deadline.
func TestIdleCountsExchangesBeforeReady(t *testing.T) {
	ctx, pc, reader := pcsc(t)
	host := readsFirst{PCSC: vpcd.PCSC{PC: pc, Port: vpcd.Port0, Wait: 15 * time.Second}, reader: reader}
	s := &simt2.Stream{Port: vpcd.Port0, Count: 1, Host: host, Idle: 300 * time.Millisecond}
	rctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if err := s.Run(rctx); err != nil {
		t.Fatal(err)
	}
	if rctx.Err() != nil {
		t.Fatal("the token read before the stream saw it ready was never taken out")
	}
	if ts := s.Tokens(); len(ts) != 1 || ts[0].State().APDUs != 1 {
		t.Fatalf("tokens %d, want 1 with one APDU", len(ts))
	}
}
