// Package device finds, waits for and opens tokens: the one path by which
// both the commands and batch reach a device. It lists PC/SC readers and
// YubiKeys on USB, chooses one (by reader name, serial, or "the only
// one"), waits for a card to be presented, connects (waiting while another
// program still holds the card) and opens the protocol session on it.
//
// Only the transports (nfc for PC/SC, hid for USB HID) talk to the system;
// this package decides which device to use. What it needs from outside is
// an Env, whose zero value means the real hardware; tests give it
// emulators. Every error it returns is a *Error (a device or transport
// error: tokenctl exits 3) or a context error.
package device

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/tokenctl/tokenctl/hid"
	"github.com/tokenctl/tokenctl/nfc"
)

// Error is a device that could not be found, reached or opened.
type Error struct{ Err error }

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// DeviceError says that this is a device or transport error (tokenctl
// exits 3).
func (e *Error) DeviceError() bool { return true }

func wrap(err error) error {
	var e *Error
	if err == nil || errors.As(err, &e) {
		return err
	}
	return &Error{err}
}

func errorf(format string, a ...any) error { return &Error{fmt.Errorf(format, a...)} }

// Env is what device selection needs from the outside world. The zero
// value is the machine's own devices, prompting nobody.
type Env struct {
	// USB lists the YubiKey OTP interfaces on USB (nil: USBKeys).
	USB func() ([]HIDKey, error)
	// PCSC opens a PC/SC context (nil: nfc.NewContext).
	PCSC func() (*nfc.Context, error)
	// Prompt, when set, is told what the operator should do when a wait
	// for a device begins ("present the YubiKey to ...").
	Prompt func(msg string)
}

// USBKeys lists the YubiKeys on USB through the Env.
func (e Env) USBKeys() ([]HIDKey, error) { return e.usb() }

func (e Env) usb() ([]HIDKey, error) {
	if e.USB != nil {
		return e.USB()
	}
	return USBKeys()
}

func (e Env) prompt(format string, a ...any) {
	if e.Prompt != nil {
		e.Prompt(fmt.Sprintf(format, a...))
	}
}

// OpenPCSC opens a PC/SC context.
func (e Env) OpenPCSC() (*nfc.Context, error) {
	open := nfc.NewContext
	if e.PCSC != nil {
		open = e.PCSC
	}
	pc, err := open()
	return pc, wrap(err)
}

// HIDKey is one YubiKey OTP interface on USB.
type HIDKey struct {
	Path      string
	Name      string // for messages: product and USB ID
	Product   string
	ProductID uint16
	Open      func() (hid.FeatureDevice, error)
}

// USBKeys lists the YubiKeys on USB (hid.List).
func USBKeys() ([]HIDKey, error) {
	infos, err := hid.List()
	if err != nil {
		return nil, wrap(err)
	}
	out := make([]HIDKey, 0, len(infos))
	for _, in := range infos {
		out = append(out, HIDKey{Path: in.Path, Name: fmt.Sprintf("%s (USB %04x:%04x)", in.Product, hid.VendorYubico, in.ProductID),
			Product: in.Product, ProductID: in.ProductID, Open: in.Open})
	}
	return out, nil
}

// Reader opens a PC/SC context and picks the reader whose name contains
// name (empty: the only reader, or the only one holding a card).
func (e Env) Reader(name string) (*nfc.Context, string, error) {
	pc, err := e.OpenPCSC()
	if err != nil {
		return nil, "", err
	}
	r, err := pc.FindReader(name)
	if err != nil {
		pc.Release()
		return nil, "", wrap(err)
	}
	return pc, r, nil
}

// ShareWait bounds how long Connect waits for another program (or a
// process that just died, until pcscd notices) to release the card.
var ShareWait = 5 * time.Second

// Connect connects to the card in reader, waiting up to ShareWait while
// another program still holds it.
func Connect(ctx context.Context, pc *nfc.Context, reader string) (*nfc.Card, error) {
	deadline := time.Now().Add(ShareWait)
	for {
		card, err := pc.Connect(reader)
		if err == nil || !errors.Is(err, nfc.ErrSharingViolation) || time.Now().After(deadline) {
			return card, wrap(err)
		}
		select {
		case <-ctx.Done():
			return nil, wrap(err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// WaitConnect waits for a card on reader and connects to it, returning the
// time the connection attempt started (for timings). A failure of the
// wait itself (cancelled, pcscd gone) is returned as it is; a connection
// that fails because of that card (taken away too soon, one the reader
// cannot talk to) satisfies CardProblem.
func WaitConnect(ctx context.Context, pc *nfc.Context, reader string) (*nfc.Card, time.Time, error) {
	if err := pc.WaitForCard(ctx, reader); err != nil {
		return nil, time.Time{}, err
	}
	t0 := time.Now()
	card, err := Connect(ctx, pc, reader)
	return card, t0, err
}

// CardProblem reports whether err concerns the card presented rather than
// the reader or pcscd: another card may well work.
func CardProblem(err error) bool { return nfc.CardProblem(err) }

// Wait is how long to wait for a device to be presented: zero waits not
// at all, Forever until the context ends.
type Wait time.Duration

// Forever waits until the context is cancelled.
const Forever = Wait(-1)

// ParseWait reads a --wait value: "forever" (the flag alone) or a
// positive duration.
func ParseWait(s string) (Wait, error) {
	switch s {
	case "":
		return 0, nil
	case "forever":
		return Forever, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("want a duration such as 30s, or the flag alone to wait for as long as it takes")
	}
	return Wait(d), nil
}

func (w Wait) context(ctx context.Context) (context.Context, context.CancelFunc) {
	if w == Forever {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, time.Duration(w))
}

func (w Wait) String() string {
	if w == Forever {
		return "forever"
	}
	return time.Duration(w).String()
}
