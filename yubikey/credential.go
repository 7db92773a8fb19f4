package yubikey

import (
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/tokenctl/tokenctl/seed"
)

// Labels a seed.Token carries for a YubiKey slot: what the Personalization
// Tool's logs (csvfmt) read and write besides the token fields, and what
// batch keeps in its ledger (slot, access code).
const (
	LabelSlot          = "slot"
	LabelAccessCode    = "access_code"         // new access code, 12 hex digits
	LabelCurrentAccess = "current_access_code" // traditional format only
	LabelTimestamp     = "timestamp"           // TimeLayout, local time
	LabelMode          = "yubikey_mode"        // ModeChalRespLabel for HMAC-SHA1 challenge-response
	ModeChalRespLabel  = "chalresp"
	// Traditional-format flags, "1" or "0".
	LabelFixedModhex1 = "oath_fixed_modhex1"
	LabelFixedModhex2 = "oath_fixed_modhex2"
	LabelFixedModhex  = "oath_fixed_modhex"
	LabelChalBtnTrig  = "chal_btn_trig"
	LabelHMACLT64     = "hmac_lt64"
)

// TimeLayout is the Personalization Tool's fixed timestamp.
const TimeLayout = "2006-01-02T15:04:05"

// Credential is what ykman's "otp yubiotp|hotp|chalresp" write into a
// slot: the secrets of one mode and its settings (zero values are ykman's
// defaults). Build turns it into the slot configuration and the token that
// logs and ledgers record; the CLI and batch both program keys through it.
type Credential struct {
	Mode Mode // ModeYubicoOTP, ModeHOTP or ModeChalRespHMAC
	// Key is the AES key (Yubico OTP, 16 bytes) or the HMAC-SHA1 key
	// (1 to 20 bytes).
	Key       []byte
	PrivateID []byte // Yubico OTP: 6 bytes
	// PublicID is the Yubico OTP public ID (at most 16 bytes); nil is
	// ykman's default, SerialPublicID of the key's serial (an empty,
	// non-nil one is no public ID).
	PublicID []byte
	Digits   int    // HOTP: 6 (0) or 8
	Counter  uint32 // HOTP: initial counter, a multiple of 16
	// Identifier is the HOTP token identifier as ParseTokenID reads it
	// ("" for none; "-" is "ubhe" and the serial).
	Identifier string
	Touch      bool // challenge-response: a touch for each response
	NoLT64     bool // challenge-response: challenges are always 64 bytes
	NoEnter    bool // OTP and HOTP: no Enter after the output
	HideSerial bool // clear SERIAL_API_VISIBLE
	// Slot, when not 0, is recorded in the token (LabelSlot).
	Slot Slot
	// AccessCode protects the slot after the write (nil: none); it is
	// recorded in the token (LabelAccessCode), as is CurrentAccessCode
	// (LabelCurrentAccess), the code the slot had.
	AccessCode, CurrentAccessCode AccessCode
	// Time, when not zero, is recorded as LabelTimestamp.
	Time time.Time
}

// SettingError is a setting a slot cannot hold (digits, counter,
// identifier), named as ykman's options are: a usage error.
type SettingError struct {
	Setting string // "digits", "counter", "identifier"
	Value   string // the value refused, or "" when Reason shows it
	Reason  string
}

// Error names the setting as its flag ("--digits 7: want 6 or 8"), as
// convert's and token2's setting errors do.
func (e *SettingError) Error() string {
	if e.Value == "" {
		return "--" + e.Setting + ": " + e.Reason
	}
	return "--" + e.Setting + " " + e.Value + ": " + e.Reason
}

// UsageError marks it as a usage error (exit code 2).
func (e *SettingError) UsageError() bool { return true }

// keyName names the key in errors.
func (c *Credential) keyName() string {
	switch c.Mode {
	case ModeYubicoOTP:
		return "AES key"
	case ModeHOTP:
		return "HOTP key"
	}
	return "HMAC key"
}

// Generate draws the secrets that are not set: for Yubico OTP a 16-byte
// AES key and a 6-byte private ID, else a 20-byte HMAC key.
func (c *Credential) Generate() error {
	var err error
	if c.Key == nil {
		n := HMACKeySize
		if c.Mode == ModeYubicoOTP {
			n = KeySize
		}
		if c.Key, err = seed.Generate(n); err != nil {
			return err
		}
	}
	if c.Mode == ModeYubicoOTP && c.PrivateID == nil {
		c.PrivateID, err = seed.Generate(UIDSize)
	}
	return err
}

// RandomPublicID is a random Yubico OTP public ID with ykman's "vv"
// prefix: FF and 5 random bytes.
func RandomPublicID() ([]byte, error) {
	r, err := seed.Generate(5)
	return append([]byte{0xFF}, r...), err
}

// Check checks what does not depend on the key's serial: the sizes of
// the secrets (plain errors: invalid data) and the settings
// (*SettingError). Build checks again.
func (c *Credential) Check() error {
	_, err := c.config(0)
	return err
}

// Build is the slot configuration (access code included) and the token
// the key with this serial holds after the write. Both own their secrets:
// wipe them (and c) when done.
func (c *Credential) Build(serial Serial) (*Config, *seed.Token, error) {
	cfg, err := c.config(serial)
	if err != nil {
		return nil, nil, err
	}
	t := &seed.Token{Serial: serial.String(), Manufacturer: "Yubico", Model: "YubiKey", Secret: append([]byte(nil), c.Key...)}
	switch c.Mode {
	case ModeYubicoOTP:
		t.Kind, t.PublicID, t.PrivateID = seed.YubicoOTP, cfg.Fixed, append([]byte(nil), c.PrivateID...)
	case ModeHOTP:
		t.Kind, t.Hash, t.Digits, t.Counter, t.PublicID = seed.HOTP, seed.SHA1, 6, uint64(c.Counter), cfg.Fixed
		if c.Digits == 8 {
			t.Digits = 8
		}
		setFlagLabel(t, LabelFixedModhex1, cfg.Cfg&CfgOATHFixedModhex1 != 0)
		setFlagLabel(t, LabelFixedModhex2, cfg.Cfg&CfgOATHFixedModhex2 != 0)
	default:
		t.Hash = seed.SHA1
		t.SetLabel(LabelMode, ModeChalRespLabel)
		setFlagLabel(t, LabelChalBtnTrig, c.Touch)
		setFlagLabel(t, LabelHMACLT64, !c.NoLT64)
	}
	if len(t.PublicID) == 0 {
		t.PublicID = nil
	} else {
		t.PublicID = append([]byte(nil), t.PublicID...)
	}
	if c.Slot != 0 {
		t.SetLabel(LabelSlot, strconv.Itoa(int(c.Slot)))
	}
	if !c.Time.IsZero() {
		t.SetLabel(LabelTimestamp, c.Time.Format(TimeLayout))
	}
	if c.AccessCode != nil {
		t.SetLabel(LabelAccessCode, c.AccessCode.Hex())
	}
	if c.CurrentAccessCode != nil {
		t.SetLabel(LabelCurrentAccess, c.CurrentAccessCode.Hex())
	}
	return cfg, t, nil
}

func setFlagLabel(t *seed.Token, label string, on bool) {
	if on {
		t.SetLabel(label, "1")
	}
}

// config checks c and builds the configuration for serial.
func (c *Credential) config(serial Serial) (*Config, error) {
	var cfg *Config
	var err error
	switch c.Mode {
	case ModeYubicoOTP:
		if len(c.Key) != KeySize {
			return nil, fmt.Errorf("AES key: %d bytes, want %d", len(c.Key), KeySize)
		}
		if len(c.PrivateID) != UIDSize {
			return nil, fmt.Errorf("private ID: %d bytes, want %d", len(c.PrivateID), UIDSize)
		}
		pub := c.PublicID
		if pub == nil {
			pub = SerialPublicID(uint32(serial))
		}
		cfg, err = YubicoOTPConfig(pub, c.PrivateID, c.Key)
	case ModeHOTP, ModeChalRespHMAC:
		if len(c.Key) > HMACKeySize || len(c.Key) == 0 {
			return nil, fmt.Errorf("%s: %d bytes, a YubiKey slot takes 1 to %d", c.keyName(), len(c.Key), HMACKeySize)
		}
		if c.Mode == ModeChalRespHMAC {
			cfg, err = ChalRespConfig(c.Key, c.Touch)
			break
		}
		o := HOTPOptions{Digits: c.Digits, Counter: c.Counter}
		if o.Digits != 0 && o.Digits != 6 && o.Digits != 8 {
			return nil, &SettingError{"digits", fmt.Sprint(o.Digits), "want 6 or 8"}
		}
		if o.Counter%16 != 0 || o.Counter > MaxHOTPCounter {
			return nil, &SettingError{"counter", fmt.Sprint(o.Counter), fmt.Sprintf("want a multiple of 16 from 0 to %d", MaxHOTPCounter)}
		}
		if c.Identifier != "" {
			if o.TokenID, o.FixedModhex1, o.FixedModhex2, err = ParseTokenID(c.Identifier, uint32(serial)); err != nil {
				return nil, &SettingError{Setting: "identifier", Reason: err.Error()}
			}
		}
		cfg, err = HOTPConfig(c.Key, o)
	default:
		return nil, fmt.Errorf("a YubiKey slot cannot be programmed with %s here", c.Mode)
	}
	if err != nil {
		return nil, err
	}
	cfg.SetSerialAPIVisible(!c.HideSerial)
	if c.Mode == ModeChalRespHMAC {
		cfg.SetLT64(!c.NoLT64)
	} else {
		cfg.SetAppendCR(!c.NoEnter)
	}
	if err := cfg.SetAccessCode(c.AccessCode); err != nil {
		cfg.Wipe()
		return nil, err
	}
	return cfg, nil
}

// Wipe zeroes the secrets and the access codes.
func (c *Credential) Wipe() {
	seed.Zero(c.Key)
	seed.Zero(c.PrivateID)
	c.AccessCode.Wipe()
	c.CurrentAccessCode.Wipe()
}

// CredentialOf is the credential a token (as Build, a Yubico log or a
// batch ledger makes them) puts into a slot: Yubico OTP, OATH-HOTP
// (SHA-1) or HMAC-SHA1 challenge-response (LabelMode), with its public ID
// or token identifier, the flags its labels record and its access code
// (LabelAccessCode, a copy to wipe). A challenge-response token without
// LabelHMACLT64 "1" gets NoLT64, as Build records it. The result shares
// the token's other secrets: wipe the token, not the result.
func CredentialOf(t *seed.Token) (*Credential, error) {
	c := &Credential{Key: t.Secret, Touch: t.Label(LabelChalBtnTrig) == "1"}
	switch {
	case t.Label(LabelMode) == ModeChalRespLabel:
		c.Mode, c.NoLT64 = ModeChalRespHMAC, t.Label(LabelHMACLT64) != "1"
	case t.Kind == seed.YubicoOTP:
		c.Mode, c.PrivateID, c.PublicID = ModeYubicoOTP, t.PrivateID, append([]byte{}, t.PublicID...)
	case t.Kind == seed.HOTP:
		if t.Hash != seed.SHA1 {
			return nil, errors.New("a YubiKey slot does HOTP with SHA-1 only")
		}
		c.Mode, c.Digits, c.Counter = ModeHOTP, t.EffectiveDigits(), uint32(t.Counter)
		if t.Counter > MaxHOTPCounter {
			return nil, &SettingError{"counter", fmt.Sprint(t.Counter), fmt.Sprintf("want a multiple of 16 from 0 to %d", MaxHOTPCounter)}
		}
		if n := fixedModhexLen(t); len(t.PublicID) > 0 {
			if len(t.PublicID) != 6 {
				return nil, fmt.Errorf("token identifier: %d bytes, want 6 (OMP TT MUI)", len(t.PublicID))
			}
			c.Identifier = Modhex(t.PublicID[:n]) + hex.EncodeToString(t.PublicID[n:])
		}
	default:
		return nil, fmt.Errorf("a YubiKey slot cannot hold a %s credential here", t.Kind)
	}
	if s, err := ParseSlot(t.Label(LabelSlot)); err == nil {
		c.Slot = s
	}
	if a := t.Label(LabelAccessCode); a != "" {
		code, err := ParseAccessCode(a)
		if err != nil {
			return nil, fmt.Errorf("access code: %w", err)
		}
		c.AccessCode = code
	}
	return c, nil
}

// fixedModhexLen is how many leading bytes of an OATH token identifier
// the token's labels say are typed as modhex.
func fixedModhexLen(t *seed.Token) int {
	m1, m2 := t.Label(LabelFixedModhex1) == "1", t.Label(LabelFixedModhex2) == "1"
	switch {
	case t.Label(LabelFixedModhex) == "1" || m1 && m2:
		return len(t.PublicID)
	case m2:
		return min(2, len(t.PublicID))
	case m1:
		return min(1, len(t.PublicID))
	}
	return 0
}

// LogFormat is the convert format name for a YubiKey log format as the
// commands take it, for credentials of this kind: "okta" is the Yubico
// format (Okta's YubiKey upload), "traditional" the Personalization
// Tool's other one, and "duo", for Yubico OTP, Duo's YubiKey AES lines.
// Any other name is returned lower-cased.
func LogFormat(name string, kind seed.Kind) string {
	switch name = strings.ToLower(name); name {
	case "okta":
		return "yubico"
	case "traditional":
		return "yubico-traditional"
	case "duo":
		if kind == seed.YubicoOTP {
			return "duo-yubikey"
		}
	}
	return name
}

// ParseTransport reads a transport as the commands take it: "hid", or
// "ccid" (also "nfc", "pcsc"); "" is none chosen.
func ParseTransport(s string) (Transport, error) {
	switch s {
	case "":
		return "", nil
	case "hid":
		return TransportHID, nil
	case "ccid", "nfc", "pcsc":
		return TransportCCID, nil
	}
	return "", errors.New("want hid or ccid")
}
