// Package nfc is tokenctl's PC/SC transport, on github.com/ebfe/scard: it
// lists readers, picks one by name, waits for a card to arrive or leave,
// connects exclusively and exchanges APDUs with the T=0 rules applied
// (61 XX → GET RESPONSE, 6C XX → re-send with Le = XX). It serves every
// PC/SC reader, contactless (NFC) or contact, real or virtual (vpcd).
//
// The API:
//
//	ctx, err := nfc.NewContext()      // SCardEstablishContext
//	defer ctx.Release()
//	reader, err := ctx.FindReader("") // the only reader, or one by substring
//	err = ctx.WaitForCard(c, reader)  // cancellable by c or ctx.Cancel()
//	card, err := ctx.Connect(reader)  // exclusive
//	defer card.Close()                // always: disconnect and reset
//	resp, err := card.Transmit(cmd)   // *Card is an apdu.Transmitter
//	err = ctx.WaitForRemoval(c, reader)
//
// Every PC/SC failure is an *Error naming the reader, the operation and
// the PC/SC code with its symbolic name, for example
//
//	reader "Virtual PCD 00 00": transmit: SCARD_W_REMOVED_CARD (0x80100069): the card was removed
//
// Use Removed(err) to recognise a card that left the reader (or was never
// there), and errors.Is(err, context.Canceled) for a cancelled wait.
//go:build cgo || windows

package nfc

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/ebfe/scard"
)

// pollInterval bounds each GetStatusChange call so that a cancellation that
// races with SCardCancel is still seen promptly.
const pollInterval = 500 * time.Millisecond

func wrap(reader, op string, err error) error {
	if err == nil {
		return nil
	}
	var se scard.Error
	if errors.As(err, &se) {
		return &Error{Reader: reader, Op: op, Code: Code(se)}
	}
	if reader != "" {
		return fmt.Errorf("reader %q: %s: %w", reader, op, err)
	}
	return fmt.Errorf("%s: %w", op, err)
}

// Is lets errors.Is match an *Error (or a Code) against the PC/SC library's
// own value of the same code.
func (c Code) Is(target error) bool {
	var se scard.Error
	return errors.As(target, &se) && uint32(se) == uint32(c)
}

// libraryText is the PC/SC library's text for a code tokenctl does not name.
func libraryText(code Code) string {
	return ": " + strings.TrimPrefix(scard.Error(code).Error(), "scard: ")
}

// Context is one PC/SC context (a connection to pcscd). Its methods may be
// called from one goroutine at a time, except Cancel, which may be called
// from any goroutine to abort a wait.
type Context struct {
	mu  sync.Mutex
	ctx *scard.Context
}

// serviceHint names the PC/SC service as the user knows it.
var serviceHint = map[bool]string{
	true:  "connecting to the PC/SC service (is the Smart Card service running?)",
	false: "connecting to the PC/SC service (is pcscd running?)",
}[runtime.GOOS == "windows"]

// Supported reports whether this build can talk to PC/SC readers.
func Supported() bool { return true }

// NewContext establishes a PC/SC context. Release it when done.
func NewContext() (*Context, error) {
	c, err := scard.EstablishContext()
	if err != nil {
		return nil, wrap("", serviceHint, err)
	}
	return &Context{ctx: c}, nil
}

// Release closes the context. Calling it twice is harmless.
func (c *Context) Release() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ctx == nil {
		return nil
	}
	err := c.ctx.Release()
	c.ctx = nil
	return wrap("", "releasing the PC/SC context", err)
}

// Cancel aborts a WaitForCard or WaitForRemoval in progress (for example
// from a signal handler); the wait returns context.Canceled.
func (c *Context) Cancel() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ctx == nil {
		return nil
	}
	return wrap("", "cancel", c.ctx.Cancel())
}

func (c *Context) sc() (*scard.Context, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ctx == nil {
		return nil, errors.New("nfc: context already released")
	}
	return c.ctx, nil
}

// Readers lists the reader names pcscd knows, in its order. No reader is
// an empty list, not an error.
func (c *Context) Readers() ([]string, error) {
	sc, err := c.sc()
	if err != nil {
		return nil, err
	}
	rs, err := sc.ListReaders()
	if errors.Is(err, scard.ErrNoReadersAvailable) {
		return nil, nil
	}
	if err != nil {
		return nil, wrap("", "listing readers", err)
	}
	return rs, nil
}

// FindReader chooses a reader. With a non-empty substr it is the one reader
// whose name contains substr (case-insensitive; an exact name always
// wins). With substr empty it is the only reader, or else the only reader
// holding a card. The error lists the candidates when there are none or
// several.
func (c *Context) FindReader(substr string) (string, error) {
	all, err := c.Readers()
	if err != nil {
		return "", err
	}
	if len(all) == 0 {
		return "", errors.New("no PC/SC reader found (is the reader plugged in and pcscd running?)")
	}
	if substr != "" {
		var match []string
		for _, r := range all {
			if r == substr {
				return r, nil
			}
			if strings.Contains(strings.ToLower(r), strings.ToLower(substr)) {
				match = append(match, r)
			}
		}
		switch len(match) {
		case 1:
			return match[0], nil
		case 0:
			return "", fmt.Errorf("no reader matches %q; readers: %s", substr, quoteList(all))
		}
		return "", fmt.Errorf("%d readers match %q, give more of the name: %s", len(match), substr, quoteList(match))
	}
	if len(all) == 1 {
		return all[0], nil
	}
	withCard, err := c.present(all)
	if err != nil {
		return "", err
	}
	if len(withCard) == 1 {
		return withCard[0], nil
	}
	return "", fmt.Errorf("%d readers found, choose one with --reader: %s", len(all), quoteList(all))
}

// present lists the readers among names that hold a card now.
func (c *Context) present(names []string) ([]string, error) {
	sc, err := c.sc()
	if err != nil {
		return nil, err
	}
	rs := make([]scard.ReaderState, len(names))
	for i, n := range names {
		rs[i] = scard.ReaderState{Reader: n, CurrentState: scard.StateUnaware}
	}
	if err := sc.GetStatusChange(rs, 0); err != nil && !errors.Is(err, scard.ErrTimeout) {
		return nil, wrap("", "reading reader states", err)
	}
	var out []string
	for _, r := range rs {
		if r.EventState&scard.StatePresent != 0 {
			out = append(out, r.Reader)
		}
	}
	return out, nil
}

func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(q, ", ")
}

// WaitForCard returns when a card is in reader (at once if one already
// is). It ends early with ctx's error when ctx is done or Cancel is called
// (context.Canceled).
func (c *Context) WaitForCard(ctx context.Context, reader string) error {
	return c.wait(ctx, reader, true)
}

// WaitForRemoval returns when reader holds no card (at once if it is
// empty already). Cancellation as for WaitForCard.
func (c *Context) WaitForRemoval(ctx context.Context, reader string) error {
	return c.wait(ctx, reader, false)
}

func (c *Context) wait(ctx context.Context, reader string, present bool) error {
	sc, err := c.sc()
	if err != nil {
		return err
	}
	op := "waiting for a card"
	if !present {
		op = "waiting for the card to be removed"
	}
	defer c.cancelOnDone(ctx)()
	rs := []scard.ReaderState{{Reader: reader, CurrentState: scard.StateUnaware}}
	for {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("reader %q: %s: %w", reader, op, err)
		}
		err := sc.GetStatusChange(rs, pollInterval)
		switch {
		case err == nil:
		case errors.Is(err, scard.ErrTimeout):
			continue
		case errors.Is(err, scard.ErrCancelled):
			if ctx.Err() != nil {
				return fmt.Errorf("reader %q: %s: %w", reader, op, ctx.Err())
			}
			return fmt.Errorf("reader %q: %s: %w", reader, op, context.Canceled)
		default:
			return wrap(reader, op, err)
		}
		ev := rs[0].EventState
		if ev&(scard.StateUnknown|scard.StateIgnore) != 0 {
			return &Error{Reader: reader, Op: op, Code: ErrUnknownReader}
		}
		// A mute card (no ATR) does not count as present.
		has := ev&scard.StatePresent != 0 && ev&scard.StateMute == 0
		if has == present && ev&scard.StateUnavailable == 0 {
			return nil
		}
		rs[0].CurrentState = ev &^ scard.StateChanged
	}
}

// cancelRetry is how often a wait that ctx ended is cancelled again.
const cancelRetry = 50 * time.Millisecond

// cancelOnDone cancels the context's blocking call once ctx is done, and
// again every cancelRetry until the returned stop is called (when the wait
// returns). pcsc-lite drops an SCardCancel that reaches pcscd before the
// SCardGetStatusChange it should end has been registered there: the wait
// then ran on to its pollInterval, and on a loaded machine Ctrl-C took
// that long or longer.
func (c *Context) cancelOnDone(ctx context.Context) (stop func()) {
	waiting := make(chan struct{})
	finished := make(chan struct{})
	after := context.AfterFunc(ctx, func() {
		defer close(finished)
		t := time.NewTicker(cancelRetry)
		defer t.Stop()
		for {
			c.Cancel()
			select {
			case <-waiting:
				return
			case <-t.C:
			}
		}
	})
	return func() {
		close(waiting)
		if !after() { // the cancelling goroutine runs: let it end first
			<-finished
		}
	}
}

// Connect opens the card in reader for this process alone (exclusive
// share mode), with T=0 or T=1, whichever the card offers.
func (c *Context) Connect(reader string) (*Card, error) {
	sc, err := c.sc()
	if err != nil {
		return nil, err
	}
	h, err := sc.Connect(reader, scard.ShareExclusive, scard.ProtocolAny)
	if err != nil {
		return nil, wrap(reader, "connect", err)
	}
	card := &Card{h: h, reader: reader, proto: h.ActiveProtocol()}
	if st, err := h.Status(); err == nil {
		card.atr = st.Atr
	}
	return card, nil
}

// WaitForAnyCard waits until exactly one of readers (every reader when
// readers is empty) holds a card, and returns its name: for a --wait
// without --reader. Several readers holding cards at once is an error
// naming them. Cancellation as for WaitForCard.
func (c *Context) WaitForAnyCard(ctx context.Context, readers []string) (string, error) {
	if len(readers) == 0 {
		all, err := c.Readers()
		if err != nil {
			return "", err
		}
		if len(all) == 0 {
			return "", errors.New("no PC/SC reader found (is the reader plugged in and pcscd running?)")
		}
		readers = all
	}
	sc, err := c.sc()
	if err != nil {
		return "", err
	}
	defer c.cancelOnDone(ctx)()
	rs := make([]scard.ReaderState, len(readers))
	for i, r := range readers {
		rs[i] = scard.ReaderState{Reader: r, CurrentState: scard.StateUnaware}
	}
	for {
		if err := ctx.Err(); err != nil {
			return "", fmt.Errorf("waiting for a card: %w", err)
		}
		err := sc.GetStatusChange(rs, pollInterval)
		switch {
		case err == nil:
		case errors.Is(err, scard.ErrTimeout):
			continue
		case errors.Is(err, scard.ErrCancelled):
			if ctx.Err() != nil {
				return "", fmt.Errorf("waiting for a card: %w", ctx.Err())
			}
			return "", fmt.Errorf("waiting for a card: %w", context.Canceled)
		default:
			return "", wrap("", "waiting for a card", err)
		}
		var with []string
		for i := range rs {
			ev := rs[i].EventState
			if ev&scard.StatePresent != 0 && ev&scard.StateMute == 0 {
				with = append(with, rs[i].Reader)
			}
			rs[i].CurrentState = ev &^ scard.StateChanged
		}
		switch len(with) {
		case 0:
		case 1:
			return with[0], nil
		default:
			return "", fmt.Errorf("cards in %d readers, choose one with --reader: %s", len(with), quoteList(with))
		}
	}
}
