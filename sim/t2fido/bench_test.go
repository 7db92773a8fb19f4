package t2fido_test

import (
	"context"
	"testing"
	"time"

	"github.com/tokenctl/tokenctl/internal/pcsctest"
	"github.com/tokenctl/tokenctl/nfc"
	"github.com/tokenctl/tokenctl/sim/t2fido"
	"github.com/tokenctl/tokenctl/sim/vpcd"
	"github.com/tokenctl/tokenctl/token2/fido"
)

func sealOnce(b *testing.B, tr interface {
	Transmit([]byte) ([]byte, error)
}) {
	s := fido.NewSession(tr)
	if err := s.Select(); err != nil {
		b.Fatal(err)
	}
	if err := s.SetButtonHOTP(8, secret20); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkSealThroughPCSC is one key's seal as tokenctl does it: connect,
// select, public key, sealed button write, release, through scard, pcscd,
// vpcd and the emulator.
func BenchmarkSealThroughPCSC(b *testing.B) {
	pcsctest.Require(b)
	pcsctest.LockReader(b, vpcd.Port0)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	k := t2fido.New(t2fido.Options{})
	conn, done, err := t2fido.Insert(ctx, vpcd.Port0, k)
	if err != nil {
		b.Fatal(err)
	}
	defer func() { conn.Remove(); <-done }()
	pc, err := nfc.NewContext()
	if err != nil {
		b.Fatal(err)
	}
	defer pc.Release()
	reader := vpcd.ReaderName(vpcd.Port0)
	if err := pc.WaitForCard(ctx, reader); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		card, err := pc.Connect(reader)
		if err != nil {
			b.Fatal(err)
		}
		sealOnce(b, card)
		card.Close()
	}
	b.StopTimer()
	if n := k.State().ButtonWrites; n < b.N {
		b.Fatalf("%d button writes for %d seals", n, b.N)
	}
}

// BenchmarkSealOverHID is the same seal behind the HID framing in process
// (responses in 16-byte chunks, 2 busy reports each): the library's and
// the emulator's own work, ECDH on both sides included.
func BenchmarkSealOverHID(b *testing.B) {
	k := t2fido.New(t2fido.Options{})
	h := k.HID(t2fido.HIDOptions{Chunk: 16, Busy: 2})
	for range b.N {
		sealOnce(b, fido.NewHIDTransmitter(h))
	}
}
