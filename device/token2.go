package device

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/tokenctl/tokenctl/nfc"
	"github.com/tokenctl/tokenctl/token2"
	"github.com/tokenctl/tokenctl/token2/fido"
	"github.com/tokenctl/tokenctl/token2/molto2"
)

// Card is a card connected in a PC/SC reader.
type Card struct {
	Reader string
	*nfc.Card
	pc *nfc.Context
}

// Close disconnects the card and releases the PC/SC context.
func (c *Card) Close() {
	if c.Card != nil {
		c.Card.Close()
		c.Card = nil
	}
	if c.pc != nil {
		c.pc.Release()
		c.pc = nil
	}
}

// CardOptions choose the reader and how long to wait for a card.
type CardOptions struct {
	Reader string // part of the reader's name ("": the only one)
	Wait   Wait   // how long to wait for a card to be presented
	// What names the device in messages ("a token", "a Molto2").
	What string
}

// OpenCard reaches a card: reader, optional wait (on any reader when no
// name is given and there are several), exclusive connection.
func (e Env) OpenCard(ctx context.Context, o CardOptions) (*Card, error) {
	what := o.What
	if what == "" {
		what = "a token"
	}
	pc, err := e.OpenPCSC()
	if err != nil {
		return nil, err
	}
	c := &Card{pc: pc}
	ok := false
	defer func() {
		if !ok {
			c.Close()
		}
	}()
	reader, err := pc.FindReader(o.Reader)
	if err != nil && o.Reader == "" && o.Wait != 0 {
		// Several readers and no name: wait for a card on any of them.
		reader, err = "", nil
	}
	if err != nil {
		return nil, wrap(err)
	}
	if o.Wait != 0 {
		where := fmt.Sprintf("%q", reader)
		if reader == "" {
			where = "any reader"
		}
		e.prompt("waiting for %s on %s: press its button and hold it on the reader (Ctrl-C to stop)...", what, where)
		wctx, cancel := o.Wait.context(ctx)
		if reader == "" {
			reader, err = pc.WaitForAnyCard(wctx, nil)
		} else {
			err = pc.WaitForCard(wctx, reader)
		}
		cancel()
		switch {
		case errors.Is(err, context.DeadlineExceeded):
			return nil, errorf("no token presented on %s within %s", where, o.Wait)
		case errors.Is(err, context.Canceled):
			return nil, errorf("interrupted while waiting for %s on %s", what, where)
		case err != nil:
			return nil, wrap(err)
		}
	}
	c.Reader = reader
	if c.Card, err = pc.Connect(reader); err != nil {
		if errors.Is(err, nfc.ErrNoSmartcard) {
			return nil, errorf("no token on reader %q: press its button and hold it on the reader, or use --wait", reader)
		}
		return nil, wrap(err)
	}
	ok = true
	return c, nil
}

// Token2 is an open Token2 single-profile token: its card, session and
// the get-info answer read when it was opened.
type Token2 struct {
	*Card
	Session  *token2.Session
	Info     *token2.Info
	HostTime time.Time // the host clock when Info was read
}

// Token2Options choose the token.
type Token2Options struct {
	Reader string // part of the reader's name ("": the only one)
	Wait   Wait   // how long to wait for a token to be presented
	// Known refuses, before anything is written, a serial that is not a
	// known programmable model.
	Known bool
}

// OpenToken2 reaches the token (OpenCard) and reads its get-info answer.
func (e Env) OpenToken2(ctx context.Context, o Token2Options) (*Token2, error) {
	c, err := e.OpenCard(ctx, CardOptions{Reader: o.Reader, Wait: o.Wait})
	if err != nil {
		return nil, err
	}
	t := &Token2{Card: c, Session: token2.NewSession(c.Card)}
	t.Info, err = t.Session.Info()
	t.HostTime = time.Now()
	if err != nil {
		c.Close()
		return nil, wrap(err)
	}
	if o.Known && !t.Info.Known {
		c.Close()
		_, err := token2.Lookup(t.Info.Serial)
		return nil, errorf("%w; nothing was written", err)
	}
	return t, nil
}

// FIDO is a Token2 FIDO2 key with its OTP applet selected.
type FIDO struct {
	*Card
	Session *fido.Session
}

// OpenFIDO reaches the key (OpenCard) and selects the OTP applet. Every
// command goes through fido.Guard, which refuses the one that disables
// the key's interfaces.
func (e Env) OpenFIDO(ctx context.Context, o CardOptions) (*FIDO, error) {
	c, err := e.OpenCard(ctx, o)
	if err != nil {
		return nil, err
	}
	s := fido.NewSession(c.Card)
	if err := s.Select(); err != nil {
		c.Close()
		return nil, err
	}
	return &FIDO{Card: c, Session: s}, nil
}

// Molto2 is an open Molto2 with its serial and clock read.
type Molto2 struct {
	*Card
	Session *molto2.Session
	Info    *molto2.Info
	Context context.Context // for button waits and long loops
}

// Close ends the session (wiping its key) and releases the card.
func (m *Molto2) Close() {
	m.Session.Close()
	m.Card.Close()
}

// OpenMolto2 reaches the device (OpenCard) and reads its serial and clock.
func (e Env) OpenMolto2(ctx context.Context, o CardOptions, so molto2.Options) (*Molto2, error) {
	c, err := e.OpenCard(ctx, o)
	if err != nil {
		return nil, err
	}
	s, err := molto2.NewSession(c.Card, so)
	if err != nil {
		c.Close()
		return nil, err
	}
	info, err := s.Info()
	if err != nil {
		s.Close()
		c.Close()
		return nil, err
	}
	return &Molto2{Card: c, Session: s, Info: info, Context: ctx}, nil
}
