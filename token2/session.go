// Package token2 programs Token2's single-profile programmable TOTP tokens
// (OTPC-P1/P2, miniOTP-2/3, C301/C302) through any apdu.Transmitter: a PC/SC
// card from package nfc, or an emulator in tests. It implements reference
// §1 byte for byte: SM4 with the fixed device key, the write MAC, seed
// padding (ISO 9797-1 method 2, always), the model map with its
// restricted/unrestricted time sync, and the command sequence of a burn.
//
//	s := token2.NewSession(card)
//	info, err := s.Burn(secret, token2.Params{Hash: seed.SHA1, Period: 30})
//
// A Burn is exactly five APDUs: get info, get challenge, authenticate,
// write configuration (clock and TOTP parameters), write seed. Nothing is
// written to a token whose serial is not a known programmable model, and an
// authentication failure (69 83) is never retried: older firmware locks the
// token after repeated failures.
package token2

import (
	"errors"
	"fmt"
	"time"

	"github.com/tokenctl/tokenctl/apdu"
	"github.com/tokenctl/tokenctl/seed"
)

// The command APDUs of reference §1.
var (
	cmdGetInfo      = []byte{0x80, 0x41, 0x00, 0x00, 0x02, 0x02, 0x11}
	cmdGetChallenge = []byte{0x80, 0x4B, 0x08, 0x00, 0x01, 0x00}
)

// Instruction bytes.
const (
	InsGetInfo      = 0x41
	InsGetChallenge = 0x4B
	InsAuthenticate = 0xCE
	InsWriteSeed    = 0xC5
	InsWriteConfig  = 0xD4
)

// Meaning is the Token2 reading of a status word (reference §1).
func Meaning(sw apdu.StatusWord) string {
	switch sw {
	case apdu.SWOK:
		return "success"
	case apdu.SWAuthFailed:
		return "authentication failed or MAC wrong"
	case apdu.SWWrongData:
		return "bad data, length or padding"
	case apdu.SWWrongLength:
		return "wrong length"
	case apdu.SWINSNotSupported:
		return "unknown instruction"
	case apdu.SWCLANotSupported:
		return "unknown class"
	}
	return apdu.ISOMeaning(sw)
}

// ErrAuthFailed is the token refusing the authentication (69 83). It is
// never retried automatically.
var ErrAuthFailed = errors.New("authentication failed: not retried, since older tokens lock after repeated failures")

// authError is a 69 83 on authenticate: a *apdu.StatusError that also
// matches ErrAuthFailed.
type authError struct{ *apdu.StatusError }

func (e *authError) Error() string {
	return e.StatusError.Error() + " (not retried: older tokens lock after repeated failures)"
}
func (e *authError) Unwrap() []error { return []error{e.StatusError, ErrAuthFailed} }

// Params are the settings of a burn or a sync.
type Params struct {
	Hash    seed.Hash // SHA1 or SHA256
	Period  int       // 30 or 60 s
	Display Display   // 15, 30, 60, 120 s; 0 means 30
	// Time is the clock to set; zero means the host clock at the moment
	// of the configuration write.
	Time time.Time
}

// Stamped is p with the clock to set: the host clock to the nearest
// whole second (the token keeps no less) unless Time is given.
func (p Params) Stamped() Params {
	if p.Time.IsZero() {
		p.Time = time.Now().Round(time.Second)
	}
	return p
}

func (p Params) config() (Config, error) {
	c := Config{Display: p.Display, Time: p.Time, Hash: p.Hash, Period: p.Period}
	if c.Time.IsZero() {
		c.Time = time.Now()
	}
	_, err := c.TLV()
	return c, err
}

// Session talks to one token.
type Session struct {
	t   apdu.Transmitter
	key []byte

	info       *Info
	authed     bool
	authFailed bool
}

// NewSession starts a session over t with the family's device key.
func NewSession(t apdu.Transmitter) *Session { return NewSessionKey(t, DeviceKey) }

// NewSessionKey uses another device key (for tests of the failure path).
func NewSessionKey(t apdu.Transmitter, key []byte) *Session {
	return &Session{t: t, key: append([]byte(nil), key...)}
}

func (s *Session) exchange(what string, cmd []byte) ([]byte, error) {
	return apdu.Exchange(s.t, what, cmd, Meaning)
}

// Info reads the serial and the device clock, and looks the model up.
// Info.Known is false for a serial outside the model map; every write
// refuses such a token.
func (s *Session) Info() (*Info, error) {
	data, err := s.exchange("get info", cmdGetInfo)
	if err != nil {
		return nil, err
	}
	info, err := ParseInfo(data)
	if err != nil {
		return nil, err
	}
	s.info = info
	return info, nil
}

// Authenticate gets a challenge and answers it. A refusal is returned as
// an error matching ErrAuthFailed and *apdu.StatusError (69 83); the
// session then refuses to authenticate again.
func (s *Session) Authenticate() error {
	if s.authFailed {
		return fmt.Errorf("authenticate: %w", ErrAuthFailed)
	}
	if err := s.requireKnown(); err != nil {
		return err
	}
	ch, err := s.exchange("get challenge", cmdGetChallenge)
	if err != nil {
		return err
	}
	if len(ch) != 8 {
		return fmt.Errorf("get challenge: %d bytes, want 8", len(ch))
	}
	r, err := AuthResponse(s.key, ch)
	if err != nil {
		return err
	}
	cmd := append([]byte{0x80, InsAuthenticate, 0x00, 0x00, 0x10}, r...)
	if _, err := s.exchange("authenticate", cmd); err != nil {
		var se *apdu.StatusError
		if errors.As(err, &se) {
			s.authFailed = true
			if se.SW == apdu.SWAuthFailed {
				return &authError{se}
			}
		}
		return err
	}
	s.authed = true
	return nil
}

// requireKnown refuses to go on with a token that is not a known model.
func (s *Session) requireKnown() error {
	if s.info == nil {
		if _, err := s.Info(); err != nil {
			return err
		}
	}
	if !s.info.Known {
		_, err := Lookup(s.info.Serial)
		return err
	}
	return nil
}

func (s *Session) write(what string, ins, p1, p2 byte, body []byte) error {
	if err := s.requireKnown(); err != nil {
		return err
	}
	if !s.authed {
		if err := s.Authenticate(); err != nil {
			return err
		}
	}
	cmd, err := SecureCommand(s.key, ins, p1, p2, body)
	if err != nil {
		return err
	}
	defer zero(cmd)
	_, err = s.exchange(what, cmd)
	return err
}

// WriteConfig sets display timeout, clock and TOTP parameters. On a
// restricted model this erases the seed.
func (s *Session) WriteConfig(c Config) error {
	tlv, err := c.TLV()
	if err != nil {
		return err
	}
	return s.write("write configuration", InsWriteConfig, 0x00, 0x00, tlv)
}

// WriteSeed writes a raw seed of MinSeedLen..MaxSeedLen bytes.
func (s *Session) WriteSeed(secret []byte) error {
	enc, err := EncryptSeed(s.key, secret)
	if err != nil {
		return err
	}
	return s.write("write seed", InsWriteSeed, 0x01, 0x00, enc)
}

// WriteError is a failure after the configuration write was sent: the
// token's state is then not what it was. Its message says what the token
// may now hold.
type WriteError struct {
	Serial string
	Model  Model
	Stage  string // "write configuration" or "write seed"
	// SeedLost: the token may now hold no seed at all (restricted model,
	// configuration written or possibly written).
	SeedLost bool
	Err      error
}

func (e *WriteError) Error() string {
	s := fmt.Sprintf("token %s (%s): %v", e.Serial, e.Model.Name, e.Err)
	switch {
	case e.SeedLost:
		s += "; the configuration write erases the seed on this restricted model: the token may now hold no seed, burn it again"
	case e.Stage == "write seed":
		s += "; the clock and TOTP settings were changed but the new seed may not have been written: burn the token again"
	default:
		s += "; the configuration may or may not have been changed"
	}
	return s
}

func (e *WriteError) Unwrap() error { return e.Err }

// DeviceError: after a write the token is not in the state asked for
// (tokenctl exits 3).
func (e *WriteError) DeviceError() bool { return true }

// Burn programs a token: get info, check the model, get challenge,
// authenticate, write configuration, write seed — five APDUs. It checks
// everything it can before the first APDU. When the session already read
// get info (to check the serial against a seed file first, say), that
// answer is used and not asked again. The returned Info describes the
// token (also on most errors, when it was read).
func (s *Session) Burn(secret []byte, p Params) (*Info, error) {
	if err := CheckSeed(secret); err != nil {
		return nil, err
	}
	if _, err := p.config(); err != nil {
		return nil, err
	}
	return s.program(secret, p, false)
}

// ErrRestricted is a time sync refused on a restricted model, where it
// would erase the seed.
var ErrRestricted = errors.New("a time sync erases the seed on this restricted model: refused (re-burn the seed with the sync to do it anyway)")

// Sync sets the token's clock (with the given TOTP parameters, which
// travel in the same write). On a restricted model it refuses with
// ErrRestricted, having sent only get info, unless reburn holds the seed
// to write right after the configuration.
func (s *Session) Sync(p Params, reburn []byte) (*Info, error) {
	if reburn != nil {
		if err := CheckSeed(reburn); err != nil {
			return nil, err
		}
	}
	if _, err := p.config(); err != nil {
		return nil, err
	}
	return s.program(reburn, p, true)
}

func (s *Session) program(secret []byte, p Params, sync bool) (*Info, error) {
	info := s.info
	if info == nil {
		var err error
		if info, err = s.Info(); err != nil {
			return nil, err
		}
	}
	if err := s.requireKnown(); err != nil {
		return info, err
	}
	if sync && info.Model.Restricted && secret == nil {
		return info, fmt.Errorf("token %s (%s): %w", info.Serial, info.Model.Name, ErrRestricted)
	}
	if err := s.Authenticate(); err != nil {
		return info, fmt.Errorf("token %s: %w", info.Serial, err)
	}
	c, err := p.config()
	if err != nil {
		return info, err
	}
	if err := s.WriteConfig(c); err != nil {
		var se *apdu.StatusError
		refused := errors.As(err, &se) // the token answered: nothing changed
		if refused {
			return info, fmt.Errorf("token %s: %w", info.Serial, err)
		}
		return info, &WriteError{Serial: info.Serial, Model: info.Model, Stage: "write configuration", SeedLost: info.Model.Restricted, Err: err}
	}
	if secret == nil {
		return info, nil
	}
	if err := s.WriteSeed(secret); err != nil {
		return info, &WriteError{Serial: info.Serial, Model: info.Model, Stage: "write seed", SeedLost: info.Model.Restricted, Err: err}
	}
	return info, nil
}
