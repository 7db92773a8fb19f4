package t2fido_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/tokenctl/tokenctl/internal/pcsctest"
	"github.com/tokenctl/tokenctl/nfc"
	"github.com/tokenctl/tokenctl/seed"
	"github.com/tokenctl/tokenctl/sim/t2fido"
	"github.com/tokenctl/tokenctl/sim/vpcd"
	"github.com/tokenctl/tokenctl/token2/fido"
)

// sealNext is the host side of one key of a batch: wait for a key, seal
// secret into it with 8 digits, release it.
func sealNext(ctx context.Context, pc *nfc.Context, reader string, secret []byte) error {
	if err := pc.WaitForCard(ctx, reader); err != nil {
		return err
	}
	card, err := pc.Connect(reader)
	if err != nil {
		return err
	}
	defer card.Close()
	s := fido.NewSession(card)
	if err := s.Select(); err != nil {
		return err
	}
	return s.SetButtonHOTP(8, secret)
}

// TestStream: a box of three keys through pcscd, one seed each. Key 2 is
// pulled when its button write arrives (unanswered, nothing stored) and
// key 3 loses the answer to it (stored, the host not told); both come
// back and the host seals them again. Every key ends with its own seed
// and 8 digits, under the serials and keys the stream derives, and no
// forbidden APDU arrived at any.
func TestStream(t *testing.T) {
	pcsctest.Require(t)
	pcsctest.LockReader(t, vpcd.Port0)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	st := &t2fido.Stream{
		Port: vpcd.Port0, Count: 3, Host: pcsctest.Host(t, vpcd.Port0),
		PullAfter:    func(i int) int { return map[int]int{1: 2}[i] },
		LoseResponse: func(i int) int { return map[int]int{2: 3}[i] },
	}
	sctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- st.Run(sctx) }()
	defer func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("stream: %v", err)
		}
	}()
	pc, err := nfc.NewContext()
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Release()
	reader := vpcd.ReaderName(vpcd.Port0)
	secrets := [][]byte{bytes.Repeat([]byte{1}, 20), bytes.Repeat([]byte{2}, 20), bytes.Repeat([]byte{3}, 32)}
	gone := func() {
		t.Helper()
		if err := pc.WaitForRemoval(ctx, reader); err != nil {
			t.Fatal(err)
		}
	}
	for i, sec := range secrets {
		err := sealNext(ctx, pc, reader, sec)
		if i == 0 && err != nil {
			t.Fatal(err)
		}
		if i > 0 {
			if err == nil || !nfc.Removed(err) {
				t.Fatalf("key %d: the fault did not fire: %v", i+1, err)
			}
			gone()
			if st := st.Keys()[i].State(); st.ButtonWrites != i-1 {
				t.Fatalf("key %d: %d button writes after the fault", i+1, st.ButtonWrites)
			}
			// The operator puts the key back and seals it again.
			if err := sealNext(ctx, pc, reader, sec); err != nil {
				t.Fatalf("key %d again: %v", i+1, err)
			}
		}
		gone()
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-ctx.Done():
		t.Fatal("the stream did not finish")
	}
	done <- nil
	keys := st.Keys()
	if len(keys) != 3 {
		t.Fatalf("%d keys", len(keys))
	}
	for i, k := range keys {
		s := k.State()
		want, _ := seed.HOTPCode(secrets[i], 0, seed.SHA1, 8)
		code, _ := k.Code(0)
		if !bytes.Equal(s.Seed, secrets[i]) || s.Digits != 8 || code != want || s.Serial != t2fido.StreamSerial(i) ||
			!k.PublicKey().Equal(t2fido.KeyFromSeed([]byte(s.Serial)).PublicKey()) || len(k.Forbidden()) != 0 {
			t.Errorf("key %d: %d digits, %d-byte seed, code %q (want %q), serial %s", i+1, s.Digits, len(s.Seed), code, want, s.Serial)
		}
		if wantWrites := []int{1, 1, 2}[i]; s.ButtonWrites != wantWrites {
			t.Errorf("key %d: %d button writes, want %d", i+1, s.ButtonWrites, wantWrites)
		}
	}
}

// TestStreamStay: with Stay one key serves several sessions (sealed twice,
// released in between) until Remove takes it out; then the stream ends.
func TestStreamStay(t *testing.T) {
	pcsctest.Require(t)
	pcsctest.LockReader(t, vpcd.Port0)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	st := &t2fido.Stream{Port: vpcd.Port0, Count: 1, Stay: true, Host: pcsctest.Host(t, vpcd.Port0)}
	done := make(chan error, 1)
	go func() { done <- st.Run(ctx) }()
	pc, err := nfc.NewContext()
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Release()
	reader := vpcd.ReaderName(vpcd.Port0)
	for _, sec := range [][]byte{bytes.Repeat([]byte{4}, 20), bytes.Repeat([]byte{5}, 20)} {
		if err := sealNext(ctx, pc, reader, sec); err != nil {
			t.Fatal(err)
		}
		time.Sleep(100 * time.Millisecond) // a Stream without Stay takes the key out meanwhile
	}
	st.Remove()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if k := st.Keys(); len(k) != 1 || k[0].State().ButtonWrites != 2 || !bytes.Equal(k[0].State().Seed, bytes.Repeat([]byte{5}, 20)) {
		t.Fatalf("%d keys", len(k))
	}
}
