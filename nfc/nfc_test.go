//go:build cgo || windows

package nfc_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ebfe/scard"

	"github.com/tokenctl/tokenctl/internal/pcsctest"
	"github.com/tokenctl/tokenctl/nfc"
	"github.com/tokenctl/tokenctl/sim/vpcd"
)

// t0Card is a tiny contact card speaking T=0: it answers 00 CA (get data)
// with 61 XX chains, 00 B0 with 6C XX when Le is wrong, and logs every
// command and every reset it sees.
type t0Card struct {
	mu     sync.Mutex
	cmds   [][]byte
	resets int
	rest   []byte // data waiting for GET RESPONSE
}

// T=0 contact ATR.
func (*t0Card) ATR() []byte { return []byte{0x3B, 0x02, 0x14, 0x50} }

func (c *t0Card) Reset() {
	c.mu.Lock()
	c.resets++
	c.mu.Unlock()
}

var payload = []byte("0123456789ABCDEFGHIJ") // 20 bytes, fetched in chunks of 8

func (c *t0Card) Transmit(cmd []byte) []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.cmds = append(c.cmds, append([]byte(nil), cmd...))
	switch {
	case cmd[1] == 0xCA:
		c.rest = payload
		return []byte{0x61, 8}
	case cmd[1] == 0xC0:
		n := int(cmd[4])
		if n > len(c.rest) {
			return []byte{0x67, 0x00}
		}
		out := append([]byte(nil), c.rest[:n]...)
		c.rest = c.rest[n:]
		switch {
		case len(c.rest) == 0:
			return append(out, 0x90, 0x00)
		case len(c.rest) < 8:
			return append(out, 0x61, byte(len(c.rest)))
		}
		return append(out, 0x61, 8)
	case cmd[1] == 0xB0:
		if len(cmd) != 5 || cmd[4] != 4 {
			return []byte{0x6C, 4}
		}
		return []byte{0xDE, 0xAD, 0xBE, 0xEF, 0x90, 0x00}
	}
	return []byte{0x6D, 0x00}
}

func (c *t0Card) log() ([][]byte, int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([][]byte(nil), c.cmds...), c.resets
}

const vpcdSettle = 900 * time.Millisecond

// insert puts card in the Port0 reader and serves it until the test ends.
func insert(t *testing.T, ctx context.Context, card vpcd.Card) *vpcd.Conn {
	t.Helper()
	conn, err := vpcd.Insert(ctx, vpcd.Port0, card)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- conn.Serve(ctx) }()
	t.Cleanup(func() {
		conn.Remove()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
		// pcscd polls vpcd every 400 ms; a card inserted before a poll
		// has seen the reader empty goes unnoticed when the previous one
		// was pulled from under a connected host (pcscd then marks the
		// reader empty on the failed exchange, and its poller never sees
		// a change). Leave the reader empty long enough.
		time.Sleep(vpcdSettle)
	})
	return conn
}

func setup(t *testing.T) (context.Context, *nfc.Context, string) {
	t.Helper()
	pcsctest.Require(t)
	pcsctest.LockReader(t, vpcd.Port0)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	pc, err := nfc.NewContext()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Release() })
	reader := vpcd.ReaderName(vpcd.Port0)
	// A card left behind by another test process must be gone first.
	if err := pc.WaitForRemoval(ctx, reader); err != nil {
		t.Fatal(err)
	}
	return ctx, pc, reader
}

func TestT0GetResponseAndWrongLe(t *testing.T) {
	ctx, pc, reader := setup(t)
	tc := &t0Card{}
	insert(t, ctx, tc)
	if err := pc.WaitForCard(ctx, reader); err != nil {
		t.Fatal(err)
	}
	card, err := pc.Connect(reader)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(card.ATR(), tc.ATR()) {
		t.Errorf("ATR % X, want % X", card.ATR(), tc.ATR())
	}
	resp, err := card.Transmit([]byte{0x80, 0xCA, 0x00, 0x00})
	if err != nil {
		t.Fatal(err)
	}
	if want := append(append([]byte(nil), payload...), 0x90, 0x00); !bytes.Equal(resp, want) {
		t.Fatalf("61 XX chain: got % X, want % X", resp, want)
	}
	resp, err = card.Transmit([]byte{0x00, 0xB0, 0x00, 0x00, 0x00})
	if err != nil {
		t.Fatal(err)
	}
	if want := []byte{0xDE, 0xAD, 0xBE, 0xEF, 0x90, 0x00}; !bytes.Equal(resp, want) {
		t.Fatalf("6C XX re-send: got % X, want % X", resp, want)
	}
	_, resetsBefore := tc.log()
	if err := card.Close(); err != nil {
		t.Fatal(err)
	}
	if err := card.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	cmds, resets := tc.log()
	want := []string{"80CA0000", "00C0000008", "00C0000008", "00C0000004", "00B0000000", "00B0000004"}
	if len(cmds) != len(want) {
		t.Fatalf("card saw %d commands % X, want %v", len(cmds), cmds, want)
	}
	for i, c := range cmds {
		if got := strings.ToUpper(hexs(c)); got != want[i] {
			t.Errorf("command %d: %s, want %s", i, got, want[i])
		}
	}
	// Close resets the card, which the card side sees: the signal emulated
	// token streams use to know the host is done with a token.
	deadline := time.Now().Add(2 * time.Second)
	for resets <= resetsBefore && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
		_, resets = tc.log()
	}
	if resets <= resetsBefore {
		t.Errorf("Close did not reset the card (resets %d before, %d after)", resetsBefore, resets)
	}
}

func hexs(b []byte) string {
	const digits = "0123456789ABCDEF"
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, digits[c>>4], digits[c&15])
	}
	return string(out)
}

func TestRemovedMidSession(t *testing.T) {
	ctx, pc, reader := setup(t)
	conn := insert(t, ctx, &t0Card{})
	n := 0
	conn.Hook = func([]byte) bool { n++; return n < 2 } // pull at the second APDU
	if err := pc.WaitForCard(ctx, reader); err != nil {
		t.Fatal(err)
	}
	card, err := pc.Connect(reader)
	if err != nil {
		t.Fatal(err)
	}
	defer card.Close()
	if _, err := card.Transmit([]byte{0x00, 0xB0, 0x00, 0x00, 0x04}); err != nil {
		t.Fatal(err)
	}
	_, err = card.Transmit([]byte{0x00, 0xB0, 0x00, 0x00, 0x04})
	if err == nil {
		t.Fatal("transmit to a pulled card succeeded")
	}
	if !nfc.Removed(err) {
		t.Errorf("Removed(%v) = false", err)
	}
	var ne *nfc.Error
	if !errors.As(err, &ne) {
		t.Fatalf("error %T is not *nfc.Error", err)
	}
	msg := err.Error()
	if !strings.Contains(msg, `reader "`+reader+`"`) || !strings.Contains(msg, "(0x8010") || !strings.Contains(msg, "SCARD_") {
		t.Errorf("error %q does not name the reader and the PC/SC code", msg)
	}
	if err := card.Close(); err != nil {
		t.Errorf("Close after removal: %v", err)
	}
	wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := pc.WaitForRemoval(wctx, reader); err != nil {
		t.Fatal(err)
	}
}

func TestWaitCancelled(t *testing.T) {
	ctx, pc, reader := setup(t)
	// By context.
	wctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := pc.WaitForCard(wctx, reader)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("WaitForCard on an empty reader: %v, want deadline exceeded", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("cancellation took %v", d)
	}
	// By Cancel, as a signal handler would.
	go func() {
		time.Sleep(200 * time.Millisecond)
		pc.Cancel()
	}()
	start = time.Now()
	err = pc.WaitForCard(ctx, reader)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("WaitForCard after Cancel: %v, want context.Canceled", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Cancel took %v", d)
	}
	if !strings.Contains(err.Error(), reader) {
		t.Errorf("error %q does not name the reader", err)
	}
	// The context is still usable after a cancelled wait.
	if _, err := pc.Readers(); err != nil {
		t.Fatal(err)
	}
}

func TestWaitForCardArrival(t *testing.T) {
	ctx, pc, reader := setup(t)
	waited := make(chan error, 1)
	go func() { waited <- pc.WaitForCard(ctx, reader) }()
	time.Sleep(300 * time.Millisecond)
	insert(t, ctx, &t0Card{})
	if err := <-waited; err != nil {
		t.Fatal(err)
	}
	card, err := pc.Connect(reader)
	if err != nil {
		t.Fatal(err)
	}
	card.Close()
}

func TestFindReader(t *testing.T) {
	_, pc, reader := setup(t)
	all, err := pc.Readers()
	if err != nil {
		t.Fatal(err)
	}
	got, err := pc.FindReader("pcd 00 00")
	if err != nil || got != reader {
		t.Fatalf("FindReader(pcd 00 00) = %q, %v; want %q", got, err, reader)
	}
	got, err = pc.FindReader(reader)
	if err != nil || got != reader {
		t.Fatalf("FindReader(exact) = %q, %v", got, err)
	}
	_, err = pc.FindReader("no such reader here")
	if err == nil || !strings.Contains(err.Error(), reader) {
		t.Fatalf("FindReader(no match) error %v does not list the readers", err)
	}
	if len(all) > 1 {
		_, err = pc.FindReader("Virtual PCD")
		if err == nil || !strings.Contains(err.Error(), "readers match") {
			t.Fatalf("ambiguous FindReader: %v", err)
		}
	}
}

func TestConnectEmptyReader(t *testing.T) {
	_, pc, reader := setup(t)
	_, err := pc.Connect(reader)
	if err == nil {
		t.Fatal("connect to an empty reader succeeded")
	}
	if !nfc.Removed(err) || !errors.Is(err, nfc.ErrNoSmartcard) || !errors.Is(err, scard.ErrNoSmartcard) {
		t.Errorf("connect to empty reader: %v", err)
	}
	if !strings.Contains(err.Error(), "SCARD_E_NO_SMARTCARD (0x8010000C)") {
		t.Errorf("error %q lacks the code name", err)
	}
}

func TestRemovedErrorNamesCode(t *testing.T) {
	ctx, pc, reader := setup(t)
	conn := insert(t, ctx, &t0Card{})
	conn.Hook = func([]byte) bool { return false }
	if err := pc.WaitForCard(ctx, reader); err != nil {
		t.Fatal(err)
	}
	card, err := pc.Connect(reader)
	if err != nil {
		t.Fatal(err)
	}
	defer card.Close()
	_, err = card.Transmit([]byte{0x00, 0xB0, 0x00, 0x00, 0x04})
	t.Logf("pulled card: %v", err)
	if err == nil || !nfc.Removed(err) {
		t.Fatalf("transmit to a pulled card: %v", err)
	}
}

func TestWaitForAnyCard(t *testing.T) {
	ctx, pc, reader := setup(t)
	pcsctest.LockReader(t, vpcd.Port1)
	other := vpcd.ReaderName(vpcd.Port1)
	if err := pc.WaitForRemoval(ctx, other); err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	var got string
	waited := make(chan error, 1)
	go func() {
		var err error
		got, err = pc.WaitForAnyCard(wctx, []string{other, reader})
		waited <- err
	}()
	time.Sleep(300 * time.Millisecond)
	insert(t, ctx, &t0Card{})
	if err := <-waited; err != nil || got != reader {
		t.Fatalf("WaitForAnyCard = %q, %v; want %q", got, err, reader)
	}
	wctx, cancel = context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	if _, err := pc.WaitForAnyCard(wctx, []string{other}); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("empty reader: %v", err)
	}
}
