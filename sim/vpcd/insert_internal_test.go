package vpcd

import (
	"context"
	"encoding/binary"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// fakeVPCD listens like vpcd's driver. The first silent connections get
// nothing (pcscd missed the card); every later one gets an ATR request,
// as pcscd sends on seeing a card, whose answer it passes on.
func fakeVPCD(t *testing.T, silent int) (port int, conns <-chan int, atr <-chan []byte) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	n, a := make(chan int, 10), make(chan []byte, 10)
	go func() {
		for i := 1; ; i++ {
			c, err := l.Accept()
			if err != nil {
				return
			}
			n <- i
			go func() {
				defer c.Close()
				if i > silent {
					c.Write([]byte{0, 1, ctrlATR})
					var hdr [2]byte
					if _, err := io.ReadFull(c, hdr[:]); err != nil {
						return
					}
					b := make([]byte, binary.BigEndian.Uint16(hdr[:]))
					if _, err := io.ReadFull(c, b); err == nil {
						a <- b
					}
				}
				io.Copy(io.Discard, c) // until the card side leaves
			}()
		}
	}()
	return l.Addr().(*net.TCPAddr).Port, n, a
}

type atrCard struct{}

func (atrCard) ATR() []byte            { return []byte{0x3B, 0x01, 0x02} }
func (atrCard) Transmit([]byte) []byte { return []byte{0x90, 0x00} }

func shortWaits(t *testing.T) {
	u, r := unseenAfter, retryPause
	unseenAfter, retryPause = 200*time.Millisecond, 50*time.Millisecond
	t.Cleanup(func() { unseenAfter, retryPause = u, r })
}

// TestInsertPutsBackAMissedCard: a card that hears nothing from vpcd
// (pcscd missed it) is pulled and inserted again; the message that shows
// pcscd noticed it is then served like any other.
func TestInsertPutsBackAMissedCard(t *testing.T) {
	shortWaits(t)
	port, conns, atr := fakeVPCD(t, 2)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := Insert(ctx, port, atrCard{})
	if err != nil {
		t.Fatal(err)
	}
	go c.Serve(ctx)
	select {
	case got := <-atr:
		if string(got) != string(atrCard{}.ATR()) {
			t.Fatalf("ATR answered %x", got)
		}
	case <-ctx.Done():
		t.Fatal("the first message from vpcd was never answered")
	}
	if len(conns) != 3 {
		t.Fatalf("%d connections, want 3 (two missed, one seen)", len(conns))
	}
}

// TestInsertGivesUp: a card pcscd never notices is an error naming the
// reader, after insertTries tries.
func TestInsertGivesUp(t *testing.T) {
	shortWaits(t)
	port, conns, _ := fakeVPCD(t, 100)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := Insert(ctx, port, atrCard{})
	if err == nil || !strings.Contains(err.Error(), "did not take notice") {
		t.Fatalf("Insert: %v", err)
	}
	if len(conns) != insertTries {
		t.Fatalf("%d connections, want %d", len(conns), insertTries)
	}
}

// fakeHost says the card is not usable the first notReady times asked.
type fakeHost struct {
	notReady int
	asked    int
}

func (h *fakeHost) Empty(context.Context) error { return nil }
func (h *fakeHost) Ready(ctx context.Context) error {
	h.asked++
	if h.asked <= h.notReady {
		<-ctx.Done()
		return ctx.Err()
	}
	return nil
}

// TestInsertReadyPutsBackAnUnusableCard: a card the host side does not
// see usable (pcscd took it for mute) is pulled and inserted again; after
// insertTries such tries, an error.
func TestInsertReadyPutsBackAnUnusableCard(t *testing.T) {
	shortWaits(t)
	rw := readyWait
	readyWait = 100 * time.Millisecond
	t.Cleanup(func() { readyWait = rw })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	port, conns, _ := fakeVPCD(t, 0)
	h := &fakeHost{notReady: 1}
	conn, _, served, err := InsertReady(ctx, port, atrCard{}, 0, 0, h)
	if err != nil {
		t.Fatal(err)
	}
	conn.Remove()
	<-served
	if len(conns) != 2 || h.asked != 2 {
		t.Fatalf("%d insertions, host asked %d times; want 2 and 2", len(conns), h.asked)
	}

	port, conns, _ = fakeVPCD(t, 0)
	if _, _, _, err := InsertReady(ctx, port, atrCard{}, 0, 0, &fakeHost{notReady: 100}); err == nil || !strings.Contains(err.Error(), "does not see a usable card") {
		t.Fatalf("InsertReady with a host that never sees the card: %v", err)
	}
	if len(conns) != insertTries {
		t.Fatalf("%d insertions, want %d", len(conns), insertTries)
	}
}
