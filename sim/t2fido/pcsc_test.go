package t2fido_test

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/tokenctl/tokenctl/internal/pcsctest"
	"github.com/tokenctl/tokenctl/nfc"
	"github.com/tokenctl/tokenctl/seed"
	"github.com/tokenctl/tokenctl/sim/t2fido"
	"github.com/tokenctl/tokenctl/sim/vpcd"
	"github.com/tokenctl/tokenctl/token2/fido"
)

// forbiddenAsks are the ways a caller can hand the bricking command to the
// library: the command itself in any class, with masks having all three
// interface bits, and with no mask.
var forbiddenAsks = [][]byte{
	{0x80, 0xC5, 0x02, 0x01, 0x01, 0x07}, {0x84, 0xC5, 0x02, 0x01, 0x01, 0x07},
	{0x00, 0xC5, 0x02, 0x01, 0x01, 0xFF}, {0x80, 0xC5, 0x02, 0x01, 0x01, 0x0F},
	{0x80, 0xC5, 0x02, 0x01, 0x01, 0x07, 0x00}, {0x80, 0xC5, 0x02, 0x01}, {0x80, 0xC5, 0x02, 0x01, 0x00},
}

// inserted puts k in vpcd's first reader and connects to it through
// pcscd; the key leaves the reader when the test ends.
func inserted(t *testing.T, k *t2fido.Key) *nfc.Card {
	t.Helper()
	pcsctest.Require(t)
	pcsctest.LockReader(t, vpcd.Port0)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	conn, done, err := t2fido.Insert(ctx, vpcd.Port0, k)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		conn.Remove()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	pc, err := nfc.NewContext()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Release() })
	reader := vpcd.ReaderName(vpcd.Port0)
	if err := pc.WaitForCard(ctx, reader); err != nil {
		t.Fatal(err)
	}
	card, err := pc.Connect(reader)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { card.Close() })
	return card
}

// TestButtonHOTPThroughPCSC: select, public key, a 20-byte seed sealed
// with 8 digits, every option combination, through pcscd and vpcd. The
// emulated key holds exactly that seed and those digits, the code it
// would type at counter 0 is seed.HOTPCode's, and the bricking command,
// asked for through the session's Guard in every form, never arrived (the
// key's own log of what it received).
func TestButtonHOTPThroughPCSC(t *testing.T) {
	k := t2fido.New(t2fido.Options{Key: t2fido.KeyFromSeed([]byte(t.Name()))})
	card := inserted(t, k)
	s := fido.NewSession(card)
	if err := s.Select(); err != nil {
		t.Fatal(err)
	}
	pub, err := s.PublicKey()
	if err != nil || !pub.Equal(k.PublicKey()) {
		t.Fatalf("public key: %v", err)
	}
	if err := s.SetButtonHOTP(8, secret20); err != nil {
		t.Fatal(err)
	}
	st := k.State()
	if st.Digits != 8 || !bytes.Equal(st.Seed, secret20) || st.Counter != 0 {
		t.Fatalf("key holds %d digits, a %d-byte seed, counter %d", st.Digits, len(st.Seed), st.Counter)
	}
	want, _ := seed.HOTPCode(secret20, 0, seed.SHA1, 8)
	if got, ok := k.Code(0); !ok || got != want {
		t.Fatalf("code at 0 %q, want %q", got, want)
	}
	for i := range 8 {
		o := fido.Options{NoEnter: i&1 != 0, LongPress: i&2 != 0, Keypad: i&4 != 0}
		if err := s.SetOptions(o); err != nil {
			t.Fatal(err)
		}
		if got := k.State().Options; got != o {
			t.Fatalf("options %+v, want %+v", got, o)
		}
	}
	for _, cmd := range forbiddenAsks {
		if _, err := (fido.Guard{T: card}).Transmit(cmd); !errors.Is(err, fido.ErrForbidden) {
			t.Errorf("% X: %v", cmd, err)
		}
	}
	if f := k.Forbidden(); len(f) != 0 || k.Bricked() {
		t.Fatalf("reached the key: % X", f)
	}
	// select, public key, button, 8×3 options: nothing else arrived.
	if n := len(k.Log()); n != 27 {
		t.Fatalf("%d APDUs arrived, want 27", n)
	}
	if err := s.Select(); err != nil {
		t.Fatal("the key stopped answering:", err)
	}
}

// TestBrickedThroughPCSC: the forbidden command sent raw to the card (not
// through the library) is answered, and every later command fails (6F 00;
// see SWBricked). The assertion of the test above would see it.
func TestBrickedThroughPCSC(t *testing.T) {
	k := t2fido.New(t2fido.Options{})
	card := inserted(t, k)
	if err := fido.NewSession(card).Select(); err != nil {
		t.Fatal(err)
	}
	r, err := card.Transmit([]byte{0x80, 0xC5, 0x02, 0x01, 0x01, 0x07})
	if err != nil || status(r) != 0x9000 || !k.Bricked() {
		t.Fatalf("forbidden: % X, %v", r, err)
	}
	for _, cmd := range [][]byte{{0x80, 0xC5, 0x01, 0x00, 0x00}, append([]byte{0x00, 0xA4, 0x04, 0x00, byte(len(fido.AID))}, fido.AID...)} {
		if r, err := card.Transmit(cmd); err != nil || status(r) != t2fido.SWBricked {
			t.Fatalf("a bricked key answered % X to % X (%v)", r, cmd, err)
		}
	}
	if len(k.Forbidden()) != 1 {
		t.Fatal("the forbidden command is not in the log")
	}
}
