package batch

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/tokenctl/tokenctl/device"
	"github.com/tokenctl/tokenctl/ledger"
	"github.com/tokenctl/tokenctl/nfc"
	"github.com/tokenctl/tokenctl/seed"
	"github.com/tokenctl/tokenctl/token2"
)

// Token2Station presents Token2 programmable tokens laid on a PC/SC
// reader, one at a time.
type Token2Station struct {
	PCSC    *nfc.Context
	Reader  string
	Display token2.Display // display timeout to set (0: 30 s)
	// Clock is the time to set (nil: the host clock at each burn).
	Clock func() time.Time
	// OnExchange, when set, sees how long each device exchange took
	// (connect + get info, and the burn), for benchmarks.
	OnExchange func(time.Duration)
}

// Family implements Station.
func (s *Token2Station) Family() ledger.Family { return ledger.Token2 }

// Next waits for a card on the reader, connects and reads its info.
func (s *Token2Station) Next(ctx context.Context) (Device, error) {
	card, t0, err := waitConnect(ctx, s.PCSC, s.Reader)
	if err != nil {
		return nil, err
	}
	sess := token2.NewSession(card)
	info, err := sess.Info()
	if s.OnExchange != nil {
		s.OnExchange(time.Since(t0))
	}
	if err != nil {
		card.Close()
		return nil, &DeviceError{Err: fmt.Errorf("reading the token's serial: %w", err)}
	}
	return &token2Device{st: s, close: card.Close, sess: sess, info: info}, nil
}

// WaitRemoved waits until the reader is empty.
func (s *Token2Station) WaitRemoved(ctx context.Context) error {
	return s.PCSC.WaitForRemoval(ctx, s.Reader)
}

type token2Device struct {
	st    *Token2Station
	close func() error
	sess  *token2.Session
	info  *token2.Info
}

func (d *token2Device) Serial() string { return d.info.Serial }

func (d *token2Device) Model() string {
	if d.info.Known {
		return d.info.Model.Name
	}
	return ""
}

// Check refuses unknown models and credentials a Token2 cannot hold.
func (d *token2Device) Check(tok *seed.Token, overwrite bool) error {
	if !d.info.Known {
		_, err := token2.Lookup(d.info.Serial)
		if err == nil {
			err = errors.New("unknown model")
		}
		return err
	}
	return token2.CheckCredential(tok)
}

// Program burns tok: get info, challenge, authenticate, configuration
// (clock, hash, period), seed.
func (d *token2Device) Program(tok *seed.Token, _ bool) error {
	p := token2.Params{Hash: tok.Hash, Period: tok.EffectivePeriod(), Display: d.st.Display}
	if d.st.Clock != nil {
		p.Time = d.st.Clock()
	}
	t0 := time.Now()
	_, err := d.sess.Burn(tok.Secret, p)
	if d.st.OnExchange != nil {
		d.st.OnExchange(time.Since(t0))
	}
	if errors.Is(err, token2.ErrAuthFailed) {
		return fmt.Errorf("%w (%w)", err, ErrNoRetry)
	}
	return err
}

func (d *token2Device) Close() error { return d.close() }

// Token2Recipe makes TOTP credentials for Token2 tokens.
type Token2Recipe struct {
	Hash   seed.Hash
	Period int // 30 or 60
	Bytes  int // secret length; 0: the hash's (20 for SHA-1, 32 for SHA-256)
}

// New implements Recipe.
func (r Token2Recipe) New(d Device) (*seed.Token, error) {
	n := r.Bytes
	if n == 0 {
		n = r.Hash.DefaultSecretLen()
	}
	secret, err := seed.Generate(n)
	if err != nil {
		return nil, err
	}
	p := token2.Params{Hash: r.Hash, Period: r.Period}
	if p.Period == 0 {
		p.Period = 30
	}
	return token2.Credential(d.Serial(), d.Model(), p, secret), nil
}

// waitConnect waits for a card on reader and connects to it
// (device.WaitConnect). A connection that fails because of that card is a
// *DeviceError: the batch reports it and goes on with the next token.
func waitConnect(ctx context.Context, pc *nfc.Context, reader string) (*nfc.Card, time.Time, error) {
	card, t0, err := device.WaitConnect(ctx, pc, reader)
	if err != nil && !t0.IsZero() && device.CardProblem(err) {
		return nil, t0, &DeviceError{Err: err}
	}
	return card, t0, err
}
