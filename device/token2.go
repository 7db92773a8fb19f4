package device

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/tokenctl/tokenctl/nfc"
	"github.com/tokenctl/tokenctl/token2"
)

// Token2 is an open Token2 single-profile token: its card, session and
// the get-info answer read when it was opened.
type Token2 struct {
	Reader   string
	Session  *token2.Session
	Info     *token2.Info
	HostTime time.Time // the host clock when Info was read
	pc       *nfc.Context
	card     *nfc.Card
}

// Close disconnects the card and releases the PC/SC context.
func (t *Token2) Close() {
	if t.card != nil {
		t.card.Close()
		t.card = nil
	}
	if t.pc != nil {
		t.pc.Release()
		t.pc = nil
	}
}

// Token2Options choose the token.
type Token2Options struct {
	Reader string // part of the reader's name ("": the only one)
	Wait   Wait   // how long to wait for a token to be presented
	// Known refuses, before anything is written, a serial that is not a
	// known programmable model.
	Known bool
}

// OpenToken2 reaches the token (reader, optional wait, exclusive
// connection) and reads its get-info answer.
func (e Env) OpenToken2(ctx context.Context, o Token2Options) (*Token2, error) {
	pc, err := e.OpenPCSC()
	if err != nil {
		return nil, err
	}
	t := &Token2{pc: pc}
	ok := false
	defer func() {
		if !ok {
			t.Close()
		}
	}()
	reader, err := pc.FindReader(o.Reader)
	if err != nil && o.Reader == "" && o.Wait != 0 {
		// Several readers and no name: wait for a token on any of them.
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
		e.prompt("waiting for a token on %s: press its button and hold it on the reader (Ctrl-C to stop)...", where)
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
			return nil, errorf("interrupted while waiting for a token on %s", where)
		case err != nil:
			return nil, wrap(err)
		}
	}
	t.Reader = reader
	if t.card, err = pc.Connect(reader); err != nil {
		if errors.Is(err, nfc.ErrNoSmartcard) {
			return nil, errorf("no token on reader %q: press its button and hold it on the reader, or use --wait", reader)
		}
		return nil, wrap(err)
	}
	t.Session = token2.NewSession(t.card)
	t.Info, err = t.Session.Info()
	t.HostTime = time.Now()
	if err != nil {
		return nil, wrap(err)
	}
	if o.Known && !t.Info.Known {
		_, err := token2.Lookup(t.Info.Serial)
		return nil, errorf("%w; nothing was written", err)
	}
	ok = true
	return t, nil
}
