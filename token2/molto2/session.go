package molto2

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tokenctl/tokenctl/apdu"
	"github.com/tokenctl/tokenctl/token2"
)

// The fixed command APDUs of reference §2.
var (
	cmdInfo      = []byte{0x80, InsInfo, 0x00, 0x00, 0x00}
	cmdChallenge = []byte{0x80, InsGetChallenge, 0x08, 0x00, 0x00}
	cmdReset     = []byte{0x80, InsReset, 0x00, 0x00, 0x00}
	cmdLock      = []byte{0x80, InsScreen, 0x0C, 0x02, 0x00}
	cmdUnlock    = []byte{0x80, InsScreen, 0x0C, 0x02, 0x01, 0x01}
)

// PublicCommand is the APDU that reads profile p's public block: 80 41 00
// p 01 70, with no Le byte (the device answers 6F FB to one).
func PublicCommand(p int) []byte { return []byte{0x80, InsInfo, 0x00, byte(p), 0x01, 0x70} }

// DeleteCommand is the APDU that deletes profile p's seed: 80 E6 00 p 00.
func DeleteCommand(p int) []byte { return []byte{0x80, InsDelete, 0x00, byte(p), 0x00} }

// DefaultPollInterval is how often a button wait asks the device again.
const DefaultPollInterval = 500 * time.Millisecond

// MinScreenLockFirmware is the first firmware with screen lock.
const MinScreenLockFirmware = "2.1"

// Options configure a session.
type Options struct {
	// CustomerKey protects the device; nil means DefaultCustomerKey. It
	// is copied; the session never puts it in an error.
	CustomerKey []byte
	// Profiles is the model's profile count: ProfilesV1 (50) or
	// ProfilesV2 (100); 0 means ask the device (ProfileCount).
	Profiles int
	// Firmware is the device's firmware version ("2.1") when the caller
	// knows it: the device reports none the reference documents. Below
	// MinScreenLockFirmware, screen lock is refused before any APDU;
	// unknown (""), the command is sent and a device without it reported
	// as ErrNoScreenLock.
	Firmware string
	// PollInterval is how often a button wait asks again; 0 means
	// DefaultPollInterval.
	PollInterval time.Duration
}

// Session talks to one Molto2.
type Session struct {
	t        apdu.Transmitter
	key      []byte // SM4 key
	profiles int
	firmware string
	poll     time.Duration

	authed     bool
	authFailed bool
}

// NewSession checks o and starts a session over t. Nothing is sent.
func NewSession(t apdu.Transmitter, o Options) (*Session, error) {
	ck := o.CustomerKey
	if ck == nil {
		ck = DefaultCustomerKey
	}
	if err := CheckCustomerKey(ck); err != nil {
		return nil, err
	}
	switch o.Profiles {
	case 0, ProfilesV1, ProfilesV2:
	default:
		return nil, fmt.Errorf("%d profiles: a Molto2 has %d and a Molto2 v2 %d", o.Profiles, ProfilesV1, ProfilesV2)
	}
	if o.Firmware != "" {
		if _, err := parseVersion(o.Firmware); err != nil {
			return nil, err
		}
	}
	if o.PollInterval < 0 {
		return nil, errors.New("negative poll interval")
	}
	s := &Session{t: t, key: SM4Key(ck), profiles: o.Profiles, firmware: o.Firmware, poll: o.PollInterval}
	if s.poll == 0 {
		s.poll = DefaultPollInterval
	}
	return s, nil
}

// Close forgets the session's key.
func (s *Session) Close() { wipe(s.key); s.authed = false }

func (s *Session) exchange(what string, cmd []byte) ([]byte, error) {
	return apdu.Exchange(s.t, what, cmd, Meaning)
}

// Info is what device info reports.
type Info struct {
	Serial string
	Clock  time.Time // the device clock when it answered
}

// Info reads the serial and the device clock (80 41 00 00 00).
func (s *Session) Info() (*Info, error) {
	data, err := s.exchange("device info", cmdInfo)
	if err != nil {
		return nil, err
	}
	i, err := token2.ParseInfo(data)
	if err != nil {
		return nil, errors.New("device info: " + strings.TrimPrefix(err.Error(), "get info: "))
	}
	return &Info{Serial: i.Serial, Clock: i.Clock}, nil
}

// ErrProfile is a profile number out of range.
var ErrProfile = errors.New("no such profile")

func checkProfile(p, count int) error {
	if p < 0 || p >= count {
		return fmt.Errorf("profile %d: %w (this device has profiles 0 to %d)", p, ErrProfile, count-1)
	}
	return nil
}

// ProfileCount is the device's number of profiles: Options.Profiles when
// given, else found by reading the public block of profile 99 (a Molto2 v2
// has it, a Molto2 refuses it) and then of 49. Only public blocks are read.
func (s *Session) ProfileCount() (int, error) {
	if s.profiles != 0 {
		return s.profiles, nil
	}
	if _, err := s.public(ProfilesV2 - 1); err == nil {
		s.profiles = ProfilesV2
		return s.profiles, nil
	} else if !isStatus(err) {
		return 0, fmt.Errorf("finding the profile count: %w", err)
	}
	if _, err := s.public(ProfilesV1 - 1); err != nil {
		return 0, fmt.Errorf("finding the profile count: %w", err)
	}
	s.profiles = ProfilesV1
	return s.profiles, nil
}

func isStatus(err error) bool {
	var se *apdu.StatusError
	return errors.As(err, &se)
}

// profile checks p against 0..99 (before any APDU), then against the
// device's count.
func (s *Session) profile(p int) error {
	if err := checkProfile(p, MaxProfiles); err != nil {
		return err
	}
	n, err := s.ProfileCount()
	if err != nil {
		return err
	}
	return checkProfile(p, n)
}

func (s *Session) public(p int) (*Public, error) {
	data, err := s.exchange(fmt.Sprintf("read profile %d", p), PublicCommand(p))
	if err != nil {
		return nil, err
	}
	return ParsePublic(p, data)
}

// Public reads profile p's public block (no authentication needed).
func (s *Session) Public(p int) (*Public, error) {
	if err := s.profile(p); err != nil {
		return nil, err
	}
	return s.public(p)
}

// List reads every profile's public block, in order.
func (s *Session) List() ([]*Public, error) {
	n, err := s.ProfileCount()
	if err != nil {
		return nil, err
	}
	out := make([]*Public, 0, n)
	for p := 0; p < n; p++ {
		pub, err := s.public(p)
		if err != nil {
			return out, err
		}
		out = append(out, pub)
	}
	return out, nil
}

// ErrAuthFailed is the device refusing the customer key. It is never
// retried: each refusal costs one of the device's attempts, and at zero
// the device locks.
var ErrAuthFailed = errors.New("customer key refused")

// AuthError is a refused authentication. AttemptsLeft is what the device
// said (-1 when it answered 69 83, which carries no count).
type AuthError struct {
	*apdu.StatusError
	AttemptsLeft int
}

func (e *AuthError) Error() string {
	switch {
	case e.AttemptsLeft == 0:
		return fmt.Sprintf("%s: customer key refused, no attempts left: the device is locked", e.StatusError.Error())
	case e.AttemptsLeft > 0:
		return fmt.Sprintf("%s (not retried: each refusal costs an attempt)", e.StatusError.Error())
	}
	return e.StatusError.Error() + " (not retried)"
}

// Unwrap gives the status error and ErrAuthFailed.
func (e *AuthError) Unwrap() []error { return []error{e.StatusError, ErrAuthFailed} }

// Authenticate gets a challenge and answers it with the customer key. A
// refusal is an *AuthError (matching ErrAuthFailed); the session then
// refuses to authenticate again, so one session costs at most one attempt.
func (s *Session) Authenticate() error {
	if s.authFailed {
		return fmt.Errorf("authenticate: %w earlier in this session: not retried", ErrAuthFailed)
	}
	ch, err := s.exchange("get challenge", cmdChallenge)
	if err != nil {
		return err
	}
	if len(ch) != 8 {
		return fmt.Errorf("get challenge: %d bytes, want 8", len(ch))
	}
	r, err := token2.AuthResponse(s.key, ch)
	if err != nil {
		return err
	}
	cmd := append([]byte{0x80, InsAuthenticate, 0x00, 0x00, 0x10}, r...)
	s.authed = false
	if _, err := s.exchange("authenticate", cmd); err != nil {
		var se *apdu.StatusError
		if errors.As(err, &se) {
			s.authFailed = true
			if n, ok := AttemptsLeft(se.SW); ok {
				return &AuthError{StatusError: se, AttemptsLeft: n}
			}
			if se.SW == apdu.SWAuthFailed {
				return &AuthError{StatusError: se, AttemptsLeft: -1}
			}
		}
		return err
	}
	s.authed = true
	return nil
}

func (s *Session) ensureAuth() error {
	if s.authed {
		return nil
	}
	return s.Authenticate()
}

// secure sends an authenticated write with its MAC.
func (s *Session) secure(what string, ins, p1, p2 byte, body []byte) ([]byte, error) {
	if err := s.ensureAuth(); err != nil {
		return nil, err
	}
	cmd, err := token2.SecureCommand(s.key, ins, p1, p2, body)
	if err != nil {
		return nil, err
	}
	defer wipe(cmd)
	data, err := s.exchange(what, cmd)
	var se *apdu.StatusError
	if errors.As(err, &se) && (se.SW == apdu.SWAuthFailed || se.SW == apdu.SWSecurityNotMet) {
		s.authed = false // a MAC refusal ends the authentication; 69 82: it had ended
	}
	return data, err
}

// ErrInUse is a burn refused because the profile holds a seed.
var ErrInUse = errors.New("profile in use")

// InUseError names the profile that holds a seed.
type InUseError struct {
	Profile int
	Title   string
}

func (e *InUseError) Error() string {
	t := ""
	if e.Title != "" {
		t = fmt.Sprintf(" (%q)", e.Title)
	}
	return fmt.Sprintf("profile %d%s already holds a seed: refused (delete it first, or replace)", e.Profile, t)
}

// Is makes errors.Is(err, ErrInUse) true.
func (e *InUseError) Is(target error) bool { return target == ErrInUse }

// Burn is what to write to one profile.
type Burn struct {
	Profile int
	Secret  []byte // raw seed, 10..63 bytes, not all zero
	// Title is at most 12 UTF-8 bytes; "" writes none, leaving the
	// profile's title as it was (a title outlives a delete).
	Title string
	// Config: Time zero means the host clock at the configuration write.
	Config Config
	// Replace deletes the seed of a profile in use before writing;
	// without it such a profile is refused.
	Replace bool
}

// Check validates b without any APDU.
func (b *Burn) Check() error {
	if err := checkProfile(b.Profile, MaxProfiles); err != nil {
		return err
	}
	if err := CheckSeed(b.Secret); err != nil {
		return fmt.Errorf("profile %d: %w", b.Profile, err)
	}
	if err := CheckTitle(b.Title); err != nil {
		return fmt.Errorf("profile %d: %w", b.Profile, err)
	}
	if err := b.Config.Check(); err != nil {
		return fmt.Errorf("profile %d: %w", b.Profile, err)
	}
	if !b.Config.Time.IsZero() {
		if _, err := clock(b.Config.Time); err != nil {
			return fmt.Errorf("profile %d: %w", b.Profile, err)
		}
	}
	return nil
}

// WriteError is a burn that failed after its first write: it says what
// the profile may now hold.
type WriteError struct {
	Profile int
	Stage   string // "delete", "write configuration", "write seed", "write title", "read back"
	Err     error
}

func (e *WriteError) Error() string {
	refused := isStatus(e.Err) // the device answered: that command did nothing
	var what string
	switch {
	case e.Stage == "delete" && refused:
		what = "the old seed is still there"
	case e.Stage == "delete":
		what = "the old seed may or may not have been deleted: list the profile before trying again"
	case e.Stage == "write configuration":
		what = "the profile holds no seed (it was empty or its old seed was deleted): burn it again"
	case e.Stage == "write seed" && refused:
		what = "the profile holds no seed: burn it again"
	case e.Stage == "write seed":
		what = "the seed may or may not have been written: list the profile and, if it is in use, replace it"
	case e.Stage == "write title":
		what = "the seed and configuration were written, the title may not be: set it again"
	default:
		what = "the writes were answered 90 00 but the profile does not read back as asked"
	}
	return fmt.Sprintf("profile %d: %s: %v; %s", e.Profile, e.Stage, e.Err, what)
}

func (e *WriteError) Unwrap() error { return e.Err }

// Burn programs one profile: check everything, read its public block,
// refuse it when in use (unless b.Replace), authenticate (once per
// session), delete the old seed (Replace, in use), write configuration,
// seed and title, and read the public block back to check that the device
// reports the profile in use with the digits, hash, period and title
// asked. It returns that read-back.
func (s *Session) Burn(b Burn) (*Public, error) {
	if err := b.Check(); err != nil {
		return nil, err
	}
	if err := s.profile(b.Profile); err != nil {
		return nil, err
	}
	p := b.Profile
	pub, err := s.public(p)
	if err != nil {
		return nil, err
	}
	if pub.InUse && !b.Replace {
		return pub, &InUseError{Profile: p, Title: pub.Title}
	}
	if err := s.ensureAuth(); err != nil {
		return nil, err
	}
	if pub.InUse {
		if err := s.delete(p); err != nil && !errors.Is(err, ErrEmpty) {
			return nil, &WriteError{Profile: p, Stage: "delete", Err: err}
		}
	}
	c := b.Config
	if c.Time.IsZero() {
		c.Time = time.Now()
	}
	tlv, err := c.TLV()
	if err != nil {
		return nil, err
	}
	if _, err := s.secure(fmt.Sprintf("write configuration of profile %d", p), InsWriteConfig, 0x01, byte(p), tlv); err != nil {
		return nil, &WriteError{Profile: p, Stage: "write configuration", Err: err}
	}
	enc, err := SeedBody(s.key, b.Secret, false)
	if err != nil {
		return nil, err
	}
	_, err = s.secure(fmt.Sprintf("write seed of profile %d", p), InsWriteSeed, 0x01, byte(p), enc)
	wipe(enc)
	if err != nil {
		return nil, &WriteError{Profile: p, Stage: "write seed", Err: err}
	}
	if b.Title != "" {
		if err := s.setTitle(p, b.Title); err != nil {
			return nil, &WriteError{Profile: p, Stage: "write title", Err: err}
		}
	}
	got, err := s.public(p)
	if err != nil {
		return nil, &WriteError{Profile: p, Stage: "read back", Err: err}
	}
	if err := verify(got, b); err != nil {
		return got, &WriteError{Profile: p, Stage: "read back", Err: err}
	}
	return got, nil
}

func verify(got *Public, b Burn) error {
	var bad []string
	if !got.InUse {
		bad = append(bad, "the profile is not in use")
	}
	if got.Digits != b.Config.Digits {
		bad = append(bad, fmt.Sprintf("%d digits, want %d", got.Digits, b.Config.Digits))
	}
	if got.Period != b.Config.Period {
		bad = append(bad, fmt.Sprintf("period %d s, want %d", got.Period, b.Config.Period))
	}
	if !got.HashKnown || got.Hash != b.Config.Hash {
		bad = append(bad, fmt.Sprintf("HMAC code %02X, want %s", got.HashCode, b.Config.Hash))
	}
	if b.Title != "" && got.Title != b.Title {
		bad = append(bad, fmt.Sprintf("title %q, want %q", got.Title, b.Title))
	}
	if bad == nil {
		return nil
	}
	return errors.New(strings.Join(bad, "; "))
}

// ErrEmpty is a delete of a profile that holds no seed (6A 83).
var ErrEmpty = errors.New("profile holds no seed")

// Delete deletes profile p's seed (80 E6 00 p 00; the title stays). The
// reference marks it as needing no authentication; the session
// authenticates first anyway, so that a wrong customer key deletes
// nothing. A profile already empty is an error matching ErrEmpty.
func (s *Session) Delete(p int) error {
	if err := s.profile(p); err != nil {
		return err
	}
	if err := s.ensureAuth(); err != nil {
		return err
	}
	return s.delete(p)
}

func (s *Session) delete(p int) error {
	_, err := s.exchange(fmt.Sprintf("delete profile %d", p), DeleteCommand(p))
	var se *apdu.StatusError
	if errors.As(err, &se) && se.SW == apdu.SWRecordNotFound {
		return fmt.Errorf("%w: %w", err, ErrEmpty)
	}
	return err
}

// SetTitle writes profile p's title (1 to 12 UTF-8 bytes).
func (s *Session) SetTitle(p int, title string) error {
	if err := checkProfile(p, MaxProfiles); err != nil {
		return err
	}
	if err := CheckTitle(title); err != nil {
		return err
	}
	if title == "" {
		return errors.New("empty title: the device has no command to remove one")
	}
	if err := s.profile(p); err != nil {
		return err
	}
	return s.setTitle(p, title)
}

func (s *Session) setTitle(p int, title string) error {
	enc, err := TitleBody(s.key, title)
	if err != nil {
		return err
	}
	_, err = s.secure(fmt.Sprintf("write title of profile %d", p), InsWriteTitle, 0x00, byte(p), enc)
	return err
}

// Sync sets profile p's clock to t (zero: the host clock when sent).
func (s *Session) Sync(p int, t time.Time) error {
	if err := checkProfile(p, MaxProfiles); err != nil {
		return err
	}
	if !t.IsZero() {
		if _, err := clock(t); err != nil {
			return err
		}
	}
	if err := s.profile(p); err != nil {
		return err
	}
	return s.sync(p, t)
}

func (s *Session) sync(p int, t time.Time) error {
	if t.IsZero() {
		t = time.Now()
	}
	tlv, err := SyncTLV(t)
	if err != nil {
		return err
	}
	_, err = s.secure(fmt.Sprintf("time sync of profile %d", p), InsWriteConfig, 0x01, byte(p), tlv)
	return err
}

// SyncAll sets the clock of every profile (each has its own: one APDU per
// profile), to t or, when t is zero, to the host clock as each is sent.
// It stops at the first error and returns how many profiles were synced.
func (s *Session) SyncAll(ctx context.Context, t time.Time) (int, error) {
	if !t.IsZero() {
		if _, err := clock(t); err != nil {
			return 0, err
		}
	}
	n, err := s.ProfileCount()
	if err != nil {
		return 0, err
	}
	for p := 0; p < n; p++ {
		if err := ctx.Err(); err != nil {
			return p, err
		}
		if err := s.sync(p, t); err != nil {
			return p, err
		}
	}
	return n, nil
}

// ErrNoScreenLock is screen lock on a firmware without it.
var ErrNoScreenLock = errors.New("screen lock needs firmware " + MinScreenLockFirmware + " or later")

// ScreenLock locks (lock true) or unlocks the device's screen. With a
// firmware version below 2.1 in Options it is refused before any APDU;
// a device that does not know the command (6D 00, 6E 00) is reported as
// ErrNoScreenLock.
func (s *Session) ScreenLock(lock bool) error {
	if s.firmware != "" {
		v, _ := parseVersion(s.firmware)
		min, _ := parseVersion(MinScreenLockFirmware)
		if less(v, min) {
			return fmt.Errorf("firmware %s: %w", s.firmware, ErrNoScreenLock)
		}
	}
	if err := s.ensureAuth(); err != nil {
		return err
	}
	cmd, what := cmdLock, "screen lock"
	if !lock {
		cmd, what = cmdUnlock, "screen unlock"
	}
	_, err := s.exchange(what, cmd)
	var se *apdu.StatusError
	if errors.As(err, &se) && (se.SW == apdu.SWINSNotSupported || se.SW == apdu.SWCLANotSupported) {
		return fmt.Errorf("%w: %w", err, ErrNoScreenLock)
	}
	return err
}

// ParseFirmware reads a firmware version "major.minor" (e.g. "2.1").
func ParseFirmware(v string) (major, minor int, err error) {
	var rest string
	n, _ := fmt.Sscanf(v, "%d.%d%s", &major, &minor, &rest)
	if n != 2 || major < 0 || minor < 0 {
		return 0, 0, fmt.Errorf("firmware version %q: want major.minor, e.g. 2.1", v)
	}
	return major, minor, nil
}

func parseVersion(v string) ([2]int, error) {
	a, b, err := ParseFirmware(v)
	return [2]int{a, b}, err
}

func less(a, b [2]int) bool { return a[0] < b[0] || (a[0] == b[0] && a[1] < b[1]) }

// ErrNotConfirmed is a button wait that ended before the device reported
// the press.
var ErrNotConfirmed = errors.New("the device did not report the button press")

// waitButton sends cmd; on 90 60 it calls prompt once and sends the same
// APDU again every poll interval until the device answers 90 00 (done),
// another status (an error, never retried), or ctx ends. The reference
// says only that 90 60 means waiting for the button; asking again with
// the identical command is this package's choice (see the package
// emulator), and what a real device answers to it is unconfirmed.
func (s *Session) waitButton(ctx context.Context, what string, cmd []byte, prompt func()) error {
	for asked := false; ; {
		resp, err := s.t.Transmit(cmd)
		if err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		_, sw, err := apdu.Split(resp)
		if err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		switch sw {
		case apdu.SWOK:
			return nil
		case SWWaitButton:
		default:
			return &apdu.StatusError{Command: what, SW: sw, Meaning: Meaning(sw)}
		}
		if !asked && prompt != nil {
			prompt()
		}
		asked = true
		t := time.NewTimer(s.poll)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("%s: %w (%v): the device may still do it if the button is pressed now", what, ErrNotConfirmed, ctx.Err())
		case <-t.C:
		}
	}
}

// KeyChangeError is a customer-key change whose outcome is not known.
type KeyChangeError struct{ Err error }

func (e *KeyChangeError) Error() string {
	return fmt.Sprintf("%v; the customer key may or may not have changed: check by reading a profile's title after authenticating with the old key and, only if refused, the new one (each refusal costs an attempt)", e.Err)
}
func (e *KeyChangeError) Unwrap() error { return e.Err }

// ChangeCustomerKey sets a new customer key (84 D7 00 00 24, under the
// current key): the device answers 90 60 and waits for its button; prompt
// (if not nil) is called once then, to tell the user to press it; the
// session asks again until done or ctx ends. On success the session uses
// the new key (and must authenticate again). A refusal of the command
// itself (a status word on the first answer) is returned as is: the key
// did not change; a failure while waiting is a *KeyChangeError.
func (s *Session) ChangeCustomerKey(ctx context.Context, newKey []byte, prompt func()) error {
	if err := CheckCustomerKey(newKey); err != nil {
		return fmt.Errorf("new %w", err)
	}
	if err := s.ensureAuth(); err != nil {
		return err
	}
	body, err := KeyChangeBody(s.key, newKey)
	if err != nil {
		return err
	}
	cmd, err := token2.SecureCommand(s.key, InsSetKey, 0x00, 0x00, body)
	wipe(body)
	if err != nil {
		return err
	}
	defer wipe(cmd)
	waited := false
	err = s.waitButton(ctx, "change customer key", cmd, func() {
		waited = true
		if prompt != nil {
			prompt()
		}
	})
	if err != nil {
		if waited {
			return &KeyChangeError{Err: err}
		}
		return err
	}
	wipe(s.key)
	s.key = SM4Key(newKey)
	s.authed = false
	return nil
}

// ErrResetNotConfirmed is a factory reset asked without EraseAll.
var ErrResetNotConfirmed = errors.New("factory reset erases every profile and the customer key: refused unless explicitly confirmed")

// ResetOptions confirm a factory reset.
type ResetOptions struct {
	// EraseAll must be true: the reset erases every profile's seed and
	// title and restores the default customer key.
	EraseAll bool
	// Prompt is called once when the device waits for its button.
	Prompt func()
}

// FactoryReset erases the device (80 56 00 00 00) once its button is
// pressed. Without o.EraseAll nothing is sent.
func (s *Session) FactoryReset(ctx context.Context, o ResetOptions) error {
	if !o.EraseAll {
		return ErrResetNotConfirmed
	}
	if err := s.waitButton(ctx, "factory reset", cmdReset, o.Prompt); err != nil {
		return err
	}
	// The reset restores the default customer key.
	wipe(s.key)
	s.key = SM4Key(DefaultCustomerKey)
	s.authed, s.authFailed = false, false
	return nil
}
