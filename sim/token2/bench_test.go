package token2_test

import (
	"context"
	"testing"
	"time"

	"github.com/tokenctl/tokenctl/internal/pcsctest"
	"github.com/tokenctl/tokenctl/nfc"
	"github.com/tokenctl/tokenctl/seed"
	simt2 "github.com/tokenctl/tokenctl/sim/token2"
	"github.com/tokenctl/tokenctl/sim/vpcd"
	"github.com/tokenctl/tokenctl/token2"
)

// BenchmarkBurnThroughPCSC is one whole burn as tokenctl does it on real
// hardware: exclusive connect, get info, challenge, authenticate, write
// configuration, write seed, release — through scard, pcscd, vpcd and the
// emulator.
func BenchmarkBurnThroughPCSC(b *testing.B) {
	pcsctest.Require(b)
	pcsctest.LockReader(b, vpcd.Port0)
	ctx, cancel := context.WithCancel(context.Background())
	pc, err := nfc.NewContext()
	if err != nil {
		b.Fatal(err)
	}
	defer pc.Release()
	reader := vpcd.ReaderName(vpcd.Port0)
	wctx, wcancel := context.WithTimeout(ctx, 30*time.Second)
	defer wcancel()
	if err := pc.WaitForRemoval(wctx, reader); err != nil {
		b.Fatal(err)
	}
	s := &simt2.Stream{Port: vpcd.Port0, Count: 1, Stay: true}
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	defer func() {
		cancel()
		<-done
		time.Sleep(simt2.DefaultSettle)
	}()
	if err := pc.WaitForCard(wctx, reader); err != nil {
		b.Fatal(err)
	}
	secret := []byte("12345678901234567890")
	p := token2.Params{Hash: seed.SHA1, Period: 30}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		card, err := pc.Connect(reader)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := token2.NewSession(card).Burn(secret, p); err != nil {
			b.Fatal(err)
		}
		card.Close()
	}
	b.StopTimer()
	if n := s.Tokens()[0].State().SeedWrites; n < b.N {
		b.Fatalf("%d seed writes for %d burns", n, b.N)
	}
}

// BenchmarkBurnInProcess is the same burn with the emulator called
// directly: what tokenctl's own protocol work (SM4, MAC, parsing) costs.
func BenchmarkBurnInProcess(b *testing.B) {
	tok := simt2.New(simt2.Options{})
	tr := direct(tok)
	secret := []byte("12345678901234567890")
	p := token2.Params{Hash: seed.SHA1, Period: 30}
	for i := 0; i < b.N; i++ {
		if _, err := token2.NewSession(tr).Burn(secret, p); err != nil {
			b.Fatal(err)
		}
	}
}
