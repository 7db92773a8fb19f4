package batch

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/tokenctl/tokenctl/ledger"
	"github.com/tokenctl/tokenctl/nfc"
	"github.com/tokenctl/tokenctl/seed"
	"github.com/tokenctl/tokenctl/token2"
	"github.com/tokenctl/tokenctl/token2/fido"
	"github.com/tokenctl/tokenctl/token2/molto2"
)

// FIDOStation presents Token2 FIDO2 keys laid one after another on a
// PC/SC reader (NFC, or the key's CCID interface on USB). The OTP applet
// has no serial number to read: Serial gives the one printed on each key,
// in the order the keys are presented (from a list, or asked of the
// operator).
type FIDOStation struct {
	PCSC    *nfc.Context
	Reader  string
	Serial  func(ctx context.Context) (string, error)
	Options fido.Options // button options set on every key
}

// KeySerials gives the serials of keys that cannot report theirs
// (FIDOStation.Serial): the lines of path in order (SerialsFromFile), or,
// when path is "", each asked of the operator through p (AskSerials).
func KeySerials(path string, p Prompter) (Serials, error) {
	if path == "" {
		return AskSerials(p), nil
	}
	return SerialsFromFile(path)
}

// Family implements Station.
func (s *FIDOStation) Family() ledger.Family { return ledger.FIDO2 }

// Next waits for a key, selects the OTP applet and reads its public key,
// then takes the key's serial from Serial.
func (s *FIDOStation) Next(ctx context.Context) (Device, error) {
	card, _, err := waitConnect(ctx, s.PCSC, s.Reader)
	if err != nil {
		return nil, err
	}
	sess := fido.NewSession(card)
	if err := sess.Select(); err != nil {
		card.Close()
		return nil, &DeviceError{Err: err}
	}
	if _, err := sess.PublicKey(); err != nil {
		card.Close()
		return nil, &DeviceError{Err: err}
	}
	serial, err := s.Serial(ctx)
	if err != nil {
		card.Close()
		return nil, err
	}
	return &fidoDevice{serial: serial, sess: sess, opts: s.Options, close: card.Close}, nil
}

// WaitRemoved waits until the reader is empty.
func (s *FIDOStation) WaitRemoved(ctx context.Context) error {
	return s.PCSC.WaitForRemoval(ctx, s.Reader)
}

type fidoDevice struct {
	serial string
	sess   *fido.Session
	opts   fido.Options
	close  func() error
}

func (d *fidoDevice) Serial() string { return d.serial }
func (d *fidoDevice) Model() string  { return "FIDO2" }
func (d *fidoDevice) Close() error   { return d.close() }

// Check refuses credentials the button cannot hold (fido.CheckCredential).
func (d *fidoDevice) Check(tok *seed.Token, _ bool) error { return fido.CheckCredential(tok) }

// Program seals the seed into the button and sets the options.
func (d *fidoDevice) Program(tok *seed.Token, _ bool) error { return d.sess.Program(tok, d.opts) }

// FIDORecipe makes HOTP-SHA1 credentials for FIDO2 keys' buttons.
type FIDORecipe struct {
	Digits int // 6 or 8
	Bytes  int // 0: 20
}

// New implements Recipe.
func (r FIDORecipe) New(d Device) (*seed.Token, error) {
	n := r.Bytes
	if n == 0 {
		n = 20
	}
	secret, err := seed.Generate(n)
	if err != nil {
		return nil, err
	}
	return fido.Credential(d.Serial(), r.Digits, secret), nil
}

// Molto2Station presents the profiles of one Molto2, one after another,
// as devices of their own: serial SERIAL-PP (the device's serial and the
// profile number), the profile recorded as the label "profile".
type Molto2Station struct {
	Session *molto2.Session
	Serial  string // the device's
	First   int    // the first profile to fill
	End     int    // the profile after the last to fill (0: the device's last)
	Display token2.Display
	next    int
	started bool
}

// Family implements Station.
func (s *Molto2Station) Family() ledger.Family { return ledger.Molto2 }

// Next presents the next profile; past the last one the batch is over
// (ErrNoMore).
func (s *Molto2Station) Next(ctx context.Context) (Device, error) {
	if !s.started {
		s.next, s.started = s.First, true
	}
	n, err := s.Session.ProfileCount()
	if err != nil {
		return nil, err
	}
	if s.End > 0 && s.End < n {
		n = s.End
	}
	if s.next >= n {
		return nil, ErrNoMore
	}
	p := s.next
	s.next++
	return &moltoDevice{st: s, profile: p}, ctx.Err()
}

// WaitRemoved: a profile needs no taking away.
func (s *Molto2Station) WaitRemoved(ctx context.Context) error { return nil }

type moltoDevice struct {
	st      *Molto2Station
	profile int
}

func (d *moltoDevice) Serial() string { return molto2.ProfileSerial(d.st.Serial, d.profile) }
func (d *moltoDevice) Model() string  { return "Molto2" }
func (d *moltoDevice) Close() error   { return nil }

// Profile is the profile's number.
func (d *moltoDevice) Profile() int { return d.profile }

// Check refuses what a profile cannot hold, and a profile in use unless
// overwrite.
func (d *moltoDevice) Check(tok *seed.Token, overwrite bool) error {
	if tok.Kind != seed.TOTP {
		return fmt.Errorf("a Molto2 profile holds TOTP, not %s", tok.Kind)
	}
	b := d.burn(tok, overwrite)
	if err := b.Check(); err != nil {
		return err
	}
	pub, err := d.st.Session.Public(d.profile)
	if err != nil {
		return err
	}
	if pub.InUse && !overwrite {
		return fmt.Errorf("profile %d is in use: not overwritten (reprogram to overwrite)", d.profile)
	}
	return nil
}

func (d *moltoDevice) burn(tok *seed.Token, replace bool) molto2.Burn {
	return molto2.TokenBurn(tok, d.profile, tok.Label("title"), replace, d.st.Display)
}

// Program burns the profile. A resumed burn replaces what an interrupted
// one may have left.
func (d *moltoDevice) Program(tok *seed.Token, resumed bool) error {
	tok.SetLabel("profile", strconv.Itoa(d.profile))
	_, err := d.st.Session.Burn(d.burn(tok, resumed))
	if errors.Is(err, molto2.ErrAuthFailed) {
		return fmt.Errorf("%w (%w)", err, ErrNoRetry)
	}
	return err
}

// Molto2Recipe gives each profile its credential: profile First+i gets
// the i-th token of a seed file (Tokens), or a generated TOTP seed; the
// title is the file's serial, else Titles[i], else none. A profile always
// gets the same token, whatever was skipped before it.
type Molto2Recipe struct {
	First  int
	Tokens []*seed.Token
	Titles []string
	Hash   seed.Hash
	Digits int
	Period int
}

// End is the profile after the last one the recipe has a token or a
// title for (Molto2Station.End); 0 when it has neither (generated seeds
// fill the device).
func (r *Molto2Recipe) End() int {
	switch {
	case r.Tokens != nil:
		return r.First + len(r.Tokens)
	case r.Titles != nil:
		return r.First + len(r.Titles)
	}
	return 0
}

// Wipe wipes the seed file's tokens.
func (r *Molto2Recipe) Wipe() {
	for _, t := range r.Tokens {
		t.Wipe()
	}
}

// New implements Recipe.
func (r *Molto2Recipe) New(d Device) (*seed.Token, error) {
	if oc, ok := d.(*onceCloser); ok {
		d = oc.Device
	}
	pd, ok := d.(interface{ Profile() int })
	if !ok {
		return nil, errors.New("not a Molto2 profile")
	}
	i := pd.Profile() - r.First
	var tok *seed.Token
	if r.Tokens != nil {
		if i < 0 || i >= len(r.Tokens) {
			return nil, fmt.Errorf("the seed file has no token for profile %d", pd.Profile())
		}
		src := r.Tokens[i]
		tok = &seed.Token{Kind: seed.TOTP, Hash: src.Hash, Digits: src.EffectiveDigits(), Period: src.EffectivePeriod(), Secret: append([]byte(nil), src.Secret...)}
		tok.SetLabel("title", src.Serial)
	} else {
		secret, err := seed.Generate(r.Hash.DefaultSecretLen())
		if err != nil {
			return nil, err
		}
		tok = &seed.Token{Kind: seed.TOTP, Hash: r.Hash, Digits: r.Digits, Period: r.Period, Secret: secret}
	}
	if i >= 0 && i < len(r.Titles) {
		tok.SetLabel("title", r.Titles[i])
	}
	tok.Serial, tok.Manufacturer, tok.Model = d.Serial(), "Token2", "Molto2"
	return tok, nil
}
