//go:build cgo || windows

package vpcd_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/ebfe/scard"

	"github.com/tokenctl/tokenctl/internal/pcsctest"
	"github.com/tokenctl/tokenctl/sim/vpcd"
)

type echoCard struct{}

func (echoCard) ATR() []byte { return vpcd.DefaultATR }
func (echoCard) Transmit(cmd []byte) []byte {
	return append(append([]byte{}, cmd[4:]...), 0x90, 0x00)
}

// TestEchoThroughPCSC drives scard -> pcscd -> vpcd -> card and back.
func TestEchoThroughPCSC(t *testing.T) {
	pcsctest.Require(t)
	pcsctest.LockReader(t, vpcd.Port1)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	sc, err := scard.EstablishContext()
	if err != nil {
		t.Fatal(err)
	}
	defer sc.Release()
	reader := vpcd.ReaderName(vpcd.Port1)
	rs := []scard.ReaderState{{Reader: reader, CurrentState: scard.StateUnaware}}
	// pcscd polls vpcd: a card inserted before it has seen the reader empty
	// (after an earlier test's card) goes unnoticed, so wait for empty first.
	for {
		if err := sc.GetStatusChange(rs, 5*time.Second); err != nil {
			t.Fatalf("waiting for an empty reader: %v", err)
		}
		if rs[0].EventState&scard.StateEmpty != 0 {
			break
		}
		rs[0].CurrentState = rs[0].EventState
	}
	rs[0].CurrentState = rs[0].EventState
	conn, err := vpcd.Insert(ctx, vpcd.Port1, echoCard{})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- conn.Serve(ctx) }()
	for {
		if err := sc.GetStatusChange(rs, 5*time.Second); err != nil {
			t.Fatalf("waiting for card: %v", err)
		}
		if rs[0].EventState&scard.StatePresent != 0 {
			break
		}
		rs[0].CurrentState = rs[0].EventState
	}
	card, err := sc.Connect(reader, scard.ShareExclusive, scard.ProtocolAny)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := card.Transmit([]byte{0x00, 0x01, 0x02, 0x03, 0x02, 0xAB, 0xCD})
	card.Disconnect(scard.LeaveCard)
	if err != nil {
		t.Fatal(err)
	}
	if want := []byte{0x02, 0xAB, 0xCD, 0x90, 0x00}; !bytes.Equal(resp, want) {
		t.Fatalf("response % X, want % X", resp, want)
	}
	conn.Remove()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
