// Package vpcd attaches an emulated card to pcscd through vsmartcard's
// virtual reader driver (vpcd). The card side connects to the driver's TCP
// port (35963 for the first virtual reader, 35964 for the second) and
// answers messages framed as a 2-byte big-endian length and a payload: a
// 1-byte payload is a control code (power off/on, reset, get ATR), anything
// longer is a command APDU to answer with a response APDU.
//
// Closing the connection is the card leaving the reader; connecting again
// is a card arriving.
package vpcd

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"time"
)

// Ports of vpcd's two default virtual readers, "Virtual PCD 00 00" and "Virtual PCD 00 01".
const (
	Port0 = 35963
	Port1 = 35964
)

// Host is the host side of a virtual reader as the card side can watch it
// through pcscd (nfc.Context.WaitForRemoval and WaitForCard on
// ReaderName(port)). pcscd polls vpcd, and now and then gets a card's
// arrival or departure wrong, more so on a loaded machine: it misses a
// card inserted right after another left, or marks it mute when its
// power-up answer came late. A card side that sees only its socket cannot
// tell; one with a Host can wait for pcscd to see what it did, and try
// again when pcscd did not.
type Host interface {
	// Empty returns once pcscd reports the reader empty.
	Empty(ctx context.Context) error
	// Ready returns once pcscd reports a usable card in it (present,
	// answering).
	Ready(ctx context.Context) error
}

// Gap leaves a reader empty between two cards. With a host, until the
// host side has seen it empty, then a little more (pcscd is still settling
// the removal, and can miss a card that comes at once); without one, for
// fallback, hoping pcscd polled meanwhile. Gap returns ctx's error when ctx
// ends first.
func Gap(ctx context.Context, host Host, fallback time.Duration) error {
	if host != nil {
		if err := host.Empty(ctx); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("waiting for the host to see the reader empty: %w", err)
		}
		fallback = afterEmpty
	}
	t := time.NewTimer(fallback)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// ReaderName is the PC/SC name pcscd gives the virtual reader behind port.
func ReaderName(port int) string {
	return fmt.Sprintf("Virtual PCD 00 %02d", port-Port0)
}

// Control codes sent by vpcd.
const (
	ctrlPowerOff = 0
	ctrlPowerOn  = 1
	ctrlReset    = 2
	ctrlATR      = 4
)

// Card is what an emulator implements to sit in a virtual reader.
type Card interface {
	// ATR is the answer to reset.
	ATR() []byte
	// Transmit answers one command APDU with data and status word.
	Transmit(cmd []byte) []byte
}

// Resetter is implemented by cards that want to hear power cycles.
type Resetter interface {
	Reset()
}

// DefaultATR is a plain ISO 14443-4 (contactless) style ATR.
var DefaultATR = []byte{0x3B, 0x80, 0x80, 0x01, 0x01}

// Conn is one card inserted in a virtual reader.
type Conn struct {
	c    net.Conn
	card Card
	// first is the header of vpcd's first message, read by Insert.
	first []byte
	// Hook, when set, is called before each APDU is answered; returning
	// false pulls the card (closes the connection) instead of answering.
	Hook func(cmd []byte) bool
}

// How Insert makes sure pcscd noticed the card: pcscd powers a card up as
// soon as it sees it arrive (vpcd then sends the card its first message),
// but it polls vpcd and now and then misses a card that comes right after
// another left: it then reports the reader empty for as long as the card
// stays. A card that hears nothing within unseenAfter is pulled and, after
// retryPause, put in again.
var (
	unseenAfter = 3 * time.Second
	retryPause  = 700 * time.Millisecond
	insertTries = 3
	readyWait   = 5 * time.Second
)

const (
	afterEmpty   = 300 * time.Millisecond
	dialInterval = 100 * time.Millisecond
)

// Insert connects card to the vpcd reader listening on 127.0.0.1:port and
// returns once pcscd has taken notice of it (see unseenAfter), inserting it
// again if pcscd missed it. It retries the connection until ctx ends, since
// pcscd may still be starting.
func Insert(ctx context.Context, port int, card Card) (*Conn, error) {
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	var d net.Dialer
	for try := 1; ; try++ {
		c, err := d.DialContext(ctx, "tcp", addr)
		if err != nil {
			select {
			case <-ctx.Done():
				return nil, fmt.Errorf("vpcd: connecting to %s (is pcscd with vsmartcard-vpcd running?): %w", addr, err)
			case <-time.After(dialInterval):
			}
			continue
		}
		first := make([]byte, 2)
		stop := context.AfterFunc(ctx, func() { c.Close() })
		c.SetReadDeadline(time.Now().Add(unseenAfter))
		_, err = io.ReadFull(c, first)
		c.SetReadDeadline(time.Time{})
		stop()
		if err == nil {
			return &Conn{c: c, card: card, first: first}, nil
		}
		c.Close()
		var ne net.Error
		switch {
		case ctx.Err() != nil:
			return nil, fmt.Errorf("vpcd: inserting a card in %s: %w", ReaderName(port), ctx.Err())
		case !errors.As(err, &ne) || !ne.Timeout():
			return nil, fmt.Errorf("vpcd: inserting a card in %s: %w", ReaderName(port), err)
		case try == insertTries:
			return nil, fmt.Errorf("vpcd: pcscd did not take notice of the card in %s (no power-up within %v, %d tries)", ReaderName(port), unseenAfter, insertTries)
		}
		if err := Gap(ctx, nil, retryPause); err != nil {
			return nil, fmt.Errorf("vpcd: inserting a card in %s: %w", ReaderName(port), err)
		}
	}
}

// Remove pulls the card out of the reader.
func (c *Conn) Remove() error { return c.c.Close() }

// Serve answers vpcd until the connection ends or ctx is cancelled. It
// returns nil when the card was removed (by Remove, the Hook or ctx).
func (c *Conn) Serve(ctx context.Context) error {
	stop := context.AfterFunc(ctx, func() { c.c.Close() })
	defer stop()
	var hdr [2]byte
	for {
		quickAck(c.c)
		if c.first != nil {
			copy(hdr[:], c.first)
			c.first = nil
		} else if _, err := io.ReadFull(c.c, hdr[:]); err != nil {
			return quiet(err)
		}
		n := int(binary.BigEndian.Uint16(hdr[:]))
		msg := make([]byte, n)
		quickAck(c.c)
		if _, err := io.ReadFull(c.c, msg); err != nil {
			return quiet(err)
		}
		var resp []byte
		if n == 1 {
			switch msg[0] {
			case ctrlATR:
				resp = c.card.ATR()
			case ctrlReset, ctrlPowerOn:
				if r, ok := c.card.(Resetter); ok {
					r.Reset()
				}
				continue
			case ctrlPowerOff:
				continue
			default:
				continue
			}
		} else {
			if c.Hook != nil && !c.Hook(msg) {
				c.c.Close()
				return nil
			}
			resp = c.card.Transmit(msg)
		}
		out := make([]byte, 2+len(resp))
		binary.BigEndian.PutUint16(out, uint16(len(resp)))
		copy(out[2:], resp)
		if _, err := c.c.Write(out); err != nil {
			return quiet(err)
		}
	}
}

func quiet(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}

// InsertReady inserts card in the reader on port as InsertFaulty does (pull
// and lose as there) and serves it until it leaves; served gets Serve's
// result. With a host it then waits up to readyWait for the host side to
// report the card usable, and when it does not (pcscd missed the card, or
// took it for mute), pulls it and, after a Gap, inserts it again, up to
// insertTries times.
func InsertReady(ctx context.Context, port int, card Card, pull, lose int, host Host) (*Conn, *FaultCard, <-chan error, error) {
	for try := 1; ; try++ {
		conn, fc, err := InsertFaulty(ctx, port, card, pull, lose)
		if err != nil {
			return nil, nil, nil, err
		}
		served := make(chan error, 1)
		go func() { served <- conn.Serve(ctx) }()
		if host == nil {
			return conn, fc, served, nil
		}
		rctx, cancel := context.WithTimeout(ctx, readyWait)
		err = host.Ready(rctx)
		cancel()
		if err == nil {
			return conn, fc, served, nil
		}
		conn.Remove()
		<-served
		switch {
		case ctx.Err() != nil:
			return nil, nil, nil, ctx.Err()
		case try == insertTries:
			return nil, nil, nil, fmt.Errorf("vpcd: the host does not see a usable card in %s after %d tries: %w", ReaderName(port), insertTries, err)
		}
		if err := Gap(ctx, host, retryPause); err != nil {
			return nil, nil, nil, err
		}
	}
}
