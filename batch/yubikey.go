package batch

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/tokenctl/tokenctl/device"
	"github.com/tokenctl/tokenctl/ledger"
	"github.com/tokenctl/tokenctl/nfc"
	"github.com/tokenctl/tokenctl/personalize"
	"github.com/tokenctl/tokenctl/seed"
	"github.com/tokenctl/tokenctl/yubikey"
)

// YubiKeyCCIDStation presents YubiKeys laid on (or inserted in) a PC/SC
// reader, talking to their OTP application over CCID.
type YubiKeyCCIDStation struct {
	PCSC   *nfc.Context
	Reader string
	Slot   yubikey.Slot // 1 or 2
	// OnExchange sees how long each device exchange took (benchmarks).
	OnExchange func(time.Duration)
}

// Family implements Station.
func (s *YubiKeyCCIDStation) Family() ledger.Family { return ledger.YubiKey }

// Next waits for a key on the reader, selects the OTP application and
// reads the serial.
func (s *YubiKeyCCIDStation) Next(ctx context.Context) (Device, error) {
	card, t0, err := waitConnect(ctx, s.PCSC, s.Reader)
	if err != nil {
		return nil, err
	}
	k, err := device.OpenCCID(card)
	if s.OnExchange != nil {
		s.OnExchange(time.Since(t0))
	}
	if err != nil {
		return nil, &DeviceError{Err: err}
	}
	d := newYubiKeyDevice(k, s.Slot)
	d.onExchange = s.OnExchange
	return d, nil
}

// WaitRemoved waits until the reader is empty.
func (s *YubiKeyCCIDStation) WaitRemoved(ctx context.Context) error {
	return s.PCSC.WaitForRemoval(ctx, s.Reader)
}

// HIDKey is one YubiKey OTP interface on USB.
type HIDKey = device.HIDKey

// USBKeys lists the YubiKeys on USB.
func USBKeys() ([]HIDKey, error) { return device.USBKeys() }

// YubiKeyHIDStation presents YubiKeys plugged into USB one after another:
// Next waits for a key that was not there at the previous look (a newly
// inserted key) and WaitRemoved for it to be unplugged. Keys already
// plugged in when the batch starts count as newly inserted only when
// there is exactly one.
type YubiKeyHIDStation struct {
	Slot yubikey.Slot
	// List enumerates the keys (default USBKeys).
	List func() ([]HIDKey, error)
	// Poll is the interval between enumerations (default 250 ms).
	Poll time.Duration

	started bool
	seen    map[string]bool
	current string
}

// Family implements Station.
func (s *YubiKeyHIDStation) Family() ledger.Family { return ledger.YubiKey }

func (s *YubiKeyHIDStation) list() ([]HIDKey, error) {
	if s.List != nil {
		return s.List()
	}
	return USBKeys()
}

func (s *YubiKeyHIDStation) poll() time.Duration {
	if s.Poll > 0 {
		return s.Poll
	}
	return 250 * time.Millisecond
}

// Next waits for a newly inserted key and opens it.
func (s *YubiKeyHIDStation) Next(ctx context.Context) (Device, error) {
	if !s.started {
		keys, err := s.list()
		if err != nil {
			return nil, err
		}
		s.started, s.seen = true, map[string]bool{}
		if len(keys) > 1 {
			// Several keys already in: wait for a new one.
			for _, k := range keys {
				s.seen[k.Path] = true
			}
		}
	}
	for {
		keys, err := s.list()
		if err != nil {
			return nil, err
		}
		now := map[string]bool{}
		var fresh *HIDKey
		for i, k := range keys {
			now[k.Path] = true
			if !s.seen[k.Path] && fresh == nil {
				fresh = &keys[i]
			}
		}
		// A key unplugged and plugged back in counts as new.
		for p := range s.seen {
			if !now[p] {
				delete(s.seen, p)
			}
		}
		if fresh != nil {
			s.seen[fresh.Path] = true
			s.current = fresh.Path
			k, err := device.OpenHIDKey(*fresh)
			if err != nil {
				return nil, &DeviceError{Err: err}
			}
			return newYubiKeyDevice(k, s.Slot), nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(s.poll()):
		}
	}
}

// WaitRemoved waits until the last key is unplugged.
func (s *YubiKeyHIDStation) WaitRemoved(ctx context.Context) error {
	for {
		keys, err := s.list()
		if err != nil {
			return err
		}
		there := false
		for _, k := range keys {
			there = there || k.Path == s.current
		}
		if !there {
			delete(s.seen, s.current)
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(s.poll()):
		}
	}
}

// yubiKeyDevice is a key with its OTP session open.
type yubiKeyDevice struct {
	key        *device.YubiKey
	sess       *yubikey.Session
	serial     uint32
	slot       yubikey.Slot
	close      func() error
	onExchange func(time.Duration)
}

func newYubiKeyDevice(k *device.YubiKey, slot yubikey.Slot) *yubiKeyDevice {
	if slot == 0 {
		slot = yubikey.Slot1
	}
	return &yubiKeyDevice{key: k, sess: k.Session, serial: uint32(k.Serial), slot: slot, close: func() error { k.Close(); return nil }}
}

func (d *yubiKeyDevice) Serial() string { return strconv.FormatUint(uint64(d.serial), 10) }

func (d *yubiKeyDevice) Model() string {
	return "YubiKey " + d.sess.Version().String()
}

func (d *yubiKeyDevice) slotOf(tok *seed.Token) yubikey.Slot {
	if s, err := yubikey.ParseSlot(tok.Label("slot")); err == nil {
		return s
	}
	return d.slot
}

// Check refuses to overwrite a programmed slot unless told to.
func (d *yubiKeyDevice) Check(tok *seed.Token, overwrite bool) error {
	slot := d.slotOf(tok)
	if d.sess.Configured(slot) && !overwrite {
		return fmt.Errorf("slot %d is already programmed: not overwritten (force to overwrite)", slot)
	}
	cfg, err := yubiKeyConfig(tok)
	if err == nil {
		cfg.Wipe()
	}
	return err
}

// yubiKeyConfig builds the slot configuration for tok, its access code
// included (yubikey.CredentialOf).
func yubiKeyConfig(tok *seed.Token) (*yubikey.Config, error) {
	c, err := yubikey.CredentialOf(tok)
	if err != nil {
		return nil, err
	}
	defer c.AccessCode.Wipe() // a copy; the secrets are tok's
	cfg, t, err := c.Build(0)
	if err != nil {
		return nil, err
	}
	t.Wipe()
	return cfg, nil
}

// Program writes the slot (personalize.Program; Check refused a
// programmed slot already). A slot protected by an access code refuses a
// write without it; only on a re-burn (resumed) is the token's own access
// code then tried, once: the interrupted write may have taken, leaving the
// slot protected by that very code. Any other refusal is reported, never
// retried.
func (d *yubiKeyDevice) Program(tok *seed.Token, resumed bool) error {
	c, err := yubikey.CredentialOf(tok)
	if err != nil {
		return err
	}
	defer c.AccessCode.Wipe() // a copy; the secrets are tok's
	c.Slot = d.slotOf(tok)
	t0 := time.Now()
	res, err := personalize.Program(d.key, c, personalize.Options{Force: true, RetryNewCode: resumed}, nil)
	if d.onExchange != nil {
		d.onExchange(time.Since(t0))
	}
	var ie *personalize.IncompleteError
	switch {
	case errors.As(err, &ie):
		return ie.Err // the ledger records what the key did not finish; a re-burn resumes it
	case err == nil && res.Unconfirmed:
		return fmt.Errorf("slot %d: %w (YubiKey firmware %s: run the batch with --verify to check it by touch)", c.Slot, ErrUnconfirmed, res.Firmware)
	}
	return err
}

func (d *yubiKeyDevice) Close() error { return d.close() }

// YubiKeyRecipe makes YubiKey slot credentials: Yubico OTP (public ID
// from the serial, "vv…" as ykman does, or random with the "vv" prefix;
// random private ID and AES key) or OATH-HOTP (random 20-byte key).
type YubiKeyRecipe struct {
	Kind   seed.Kind // YubicoOTP or HOTP
	Digits int       // HOTP: 6 or 8
	// RandomPublicID gives a random public ID ("vv" + 5 random bytes)
	// instead of one made from the serial.
	RandomPublicID bool
	// AccessCode protects each slot with its own random access code,
	// sealed in the ledger with the secret (and written to Yubico logs on
	// export).
	AccessCode bool
}

// New implements Recipe: a yubikey.Credential generated for d, as a token.
func (r YubiKeyRecipe) New(d Device) (*seed.Token, error) {
	serial, err := yubikey.ParseSerial(d.Serial())
	if err != nil {
		return nil, fmt.Errorf("serial %q is not a YubiKey serial", d.Serial())
	}
	c := yubikey.Credential{Digits: r.Digits}
	defer c.Wipe()
	switch r.Kind {
	case seed.YubicoOTP:
		c.Mode = yubikey.ModeYubicoOTP
		if r.RandomPublicID {
			if c.PublicID, err = yubikey.RandomPublicID(); err != nil {
				return nil, err
			}
		}
	case seed.HOTP:
		c.Mode = yubikey.ModeHOTP
	default:
		return nil, fmt.Errorf("YubiKey batches write yubico-otp or hotp, not %s", r.Kind)
	}
	if r.AccessCode {
		if c.AccessCode, err = seed.Generate(yubikey.AccessCodeSize); err != nil {
			return nil, err
		}
	}
	if err := c.Generate(); err != nil {
		return nil, err
	}
	cfg, tok, err := c.Build(serial)
	if err != nil {
		return nil, err
	}
	cfg.Wipe()
	tok.Model = d.Model()
	return tok, nil
}
