package pskc

import (
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/tokenctl/tokenctl/seed"
	"github.com/tokenctl/tokenctl/yubikey"
)

// ErrNotOTP: the key's algorithm is not one tokenctl converts (OCRA,
// SecurID, ActivIdentity-3DES, a PIN...).
var ErrNotOTP = errors.New("not an HOTP, TOTP or Yubico OTP key")

// Labels Token sets (and FromToken reads) besides the Token fields.
const (
	LabelID           = "pskc-id"       // Key Id
	LabelFriendlyName = "friendly-name" // FriendlyName
	LabelTimeDrift    = "time-drift"    // TimeDrift, in intervals
	LabelIssueNo      = "issue-no"      // DeviceInfo/IssueNo
	LabelSlot         = "slot"          // Yubico: slot from Key Id "serial:slot"
)

// keyError is a problem mapping a key to a token: field and message.
type keyError struct {
	Field, Msg string
	Err        error
}

func (e *keyError) Error() string { return e.Field + ": " + e.Msg }
func (e *keyError) Unwrap() error { return e.Err }

// Token maps the key to tokenctl's model: serial from DeviceInfo/SerialNo
// (else the Key Id), kind from the algorithm, hash from the Suite, digits
// from ResponseFormat Length, period from TimeInterval, counter, device
// and user data. Yubico keys (yubikey-aes) become seed.YubicoOTP with the
// public and private IDs from UserId "CN=<modhex>, UID=<hex>".
//
// It refuses what a token cannot carry rather than dropping it: other
// algorithms, a check digit, a non-decimal response, a TOTP time origin
// other than 0, a hash other than SHA-1/256/512. The returned error's text
// is "field: message".
func (k *Key) Token() (*seed.Token, error) {
	kind := k.Kind()
	if kind == seed.KindUnknown {
		a := k.Algorithm
		if a == "" {
			return nil, &keyError{"Key", "no Algorithm", ErrNotOTP}
		}
		return nil, &keyError{"Key/Algorithm", fmt.Sprintf("%q is %v", a, ErrNotOTP), ErrNotOTP}
	}
	if len(k.Secret) == 0 {
		return nil, &keyError{"Data/Secret", "missing", nil}
	}
	if err := k.Policy.check(); err != nil {
		return nil, err
	}
	dev := k.Device
	if dev == nil {
		dev = &Device{}
	}
	t := &seed.Token{
		Serial:       dev.SerialNo,
		Kind:         kind,
		Manufacturer: dev.Manufacturer,
		Model:        dev.Model,
		Issuer:       k.Issuer,
		User:         k.UserID,
		Secret:       append([]byte(nil), k.Secret...),
	}
	if t.User == "" {
		t.User = dev.UserID
	}
	if k.ID != "" {
		t.SetLabel(LabelID, k.ID)
	}
	if k.FriendlyName != "" {
		t.SetLabel(LabelFriendlyName, k.FriendlyName)
	}
	if dev.IssueNo != "" {
		t.SetLabel(LabelIssueNo, dev.IssueNo)
	}
	if kind == seed.YubicoOTP {
		return k.yubicoToken(t, dev)
	}
	if t.Serial == "" {
		t.Serial = k.ID
	}
	if t.Serial == "" {
		return nil, &keyError{"DeviceInfo/SerialNo", "missing (and the Key has no Id)", nil}
	}
	if k.Suite != "" {
		h, err := seed.ParseHash(fragment(k.Suite))
		if err != nil {
			return nil, &keyError{"AlgorithmParameters/Suite", fmt.Sprintf("%q: not SHA-1, SHA-256 or SHA-512", k.Suite), err}
		}
		t.Hash = h
	}
	if e := strings.ToUpper(k.Response.Encoding); e != "" && e != "DECIMAL" {
		return nil, &keyError{"ResponseFormat", fmt.Sprintf("Encoding %s: only DECIMAL codes convert", k.Response.Encoding), nil}
	}
	if k.Response.CheckDigits != nil && *k.Response.CheckDigits {
		return nil, &keyError{"ResponseFormat", "CheckDigits: codes with a Luhn check digit do not convert", nil}
	}
	if n := k.Response.Length; n != 0 {
		if n < 6 || n > 10 {
			return nil, &keyError{"ResponseFormat", fmt.Sprintf("Length %d: want 6 to 10 digits", n), nil}
		}
		t.Digits = n
	}
	switch kind {
	case seed.HOTP:
		if k.Counter != nil {
			t.Counter = uint64(*k.Counter)
		}
	case seed.TOTP:
		if k.TimeInterval != nil {
			if *k.TimeInterval <= 0 || *k.TimeInterval > 1<<31-1 {
				return nil, &keyError{"Data/TimeInterval", fmt.Sprintf("%d is not a time step", *k.TimeInterval), nil}
			}
			t.Period = int(*k.TimeInterval)
		}
		if k.Time != nil && *k.Time != 0 {
			return nil, &keyError{"Data/Time", fmt.Sprintf("time origin %d: only 0 (the Unix epoch) converts", *k.Time), nil}
		}
		if k.TimeDrift != nil && *k.TimeDrift != 0 {
			t.SetLabel(LabelTimeDrift, strconv.FormatInt(*k.TimeDrift, 10))
		}
	}
	return t, nil
}

func (k *Key) yubicoToken(t *seed.Token, dev *Device) (*seed.Token, error) {
	serial, slot, _ := strings.Cut(k.ID, ":")
	if t.Serial == "" {
		t.Serial = serial
	}
	if t.Serial == "" {
		return nil, &keyError{"DeviceInfo/SerialNo", "missing (and the Key has no Id)", nil}
	}
	if slot == "" {
		slot = t.Label(LabelSlot)
	}
	if slot == "" {
		slot = dev.CryptoModule
	}
	if slot != "" {
		t.SetLabel(LabelSlot, slot)
	}
	if len(t.Secret) != 16 {
		return nil, &keyError{"Data/Secret", fmt.Sprintf("a Yubico OTP key is 16 bytes, this one %d", len(t.Secret)), nil}
	}
	// UserId "CN=<public ID, modhex>, UID=<private ID, hex>".
	if pub, priv, ok := parseYubicoUserID(k.UserID); ok {
		t.User = dev.UserID
		if pub != "" {
			b, err := yubikey.ParseModhex(pub)
			if err != nil {
				return nil, &keyError{"Key/UserId", "CN: public ID is not modhex", nil}
			}
			t.PublicID = b
		}
		if priv != "" {
			b, err := hex.DecodeString(priv)
			if err != nil || len(b) != 6 {
				return nil, &keyError{"Key/UserId", "UID: private ID is not 6 bytes of hex", nil}
			}
			t.PrivateID = b
		}
	}
	return t, nil
}

// check refuses what RFC 6030 section 5 says makes a key unusable, and
// what a seed file cannot carry.
func (p *Policy) check() error {
	if p.Unknown {
		return &keyError{"Policy", "holds elements or attributes tokenctl does not know; RFC 6030 says such a key must not be used", nil}
	}
	if len(p.KeyUsage) > 0 {
		otp := false
		for _, u := range p.KeyUsage {
			otp = otp || strings.EqualFold(u, "OTP")
		}
		if !otp {
			return &keyError{"Policy/KeyUsage", fmt.Sprintf("%s: the key is not for OTP", strings.Join(p.KeyUsage, ", ")), nil}
		}
	}
	switch strings.ToLower(p.PINUsageMode) {
	case "", "local":
	default:
		return &keyError{"Policy/PINPolicy", fmt.Sprintf("PINUsageMode %s: the server must check a PIN, which no seed file carries", p.PINUsageMode), nil}
	}
	return nil
}

// Expired reports whether the key's Policy/ExpiryDate has passed.
func (k *Key) Expired(now time.Time) (bool, string) {
	if k.Policy.ExpiryDate == "" {
		return false, ""
	}
	t, err := time.Parse(time.RFC3339, k.Policy.ExpiryDate)
	if err != nil {
		return false, ""
	}
	return now.After(t), k.Policy.ExpiryDate
}

func parseYubicoUserID(s string) (pub, priv string, ok bool) {
	for _, part := range strings.Split(s, ",") {
		k, v, found := strings.Cut(strings.TrimSpace(part), "=")
		if !found {
			continue
		}
		switch strings.ToUpper(strings.TrimSpace(k)) {
		case "CN":
			pub, ok = strings.TrimSpace(v), true
		case "UID":
			priv, ok = strings.TrimSpace(v), true
		}
	}
	return pub, priv, ok
}

// FromToken builds the Key a Writer writes for t.
func FromToken(t *seed.Token) (*Key, error) {
	if len(t.Secret) == 0 {
		return nil, errors.New("no secret")
	}
	if t.Serial == "" {
		return nil, errors.New("no serial")
	}
	dev := &Device{
		Manufacturer: t.Manufacturer,
		SerialNo:     t.Serial,
		Model:        t.Model,
		IssueNo:      t.Label(LabelIssueNo),
	}
	k := &Key{
		ID:           t.Label(LabelID),
		Issuer:       t.Issuer,
		FriendlyName: t.Label(LabelFriendlyName),
		Secret:       t.Secret,
		Device:       dev,
	}
	switch t.Kind {
	case seed.HOTP, seed.TOTP:
		k.Algorithm = AlgHOTP
		if t.Kind == seed.TOTP {
			k.Algorithm = AlgTOTP
		}
		k.UserID = t.User
		k.Suite = "HMAC-" + strings.ToUpper(t.Hash.String())
		k.Response = Format{Encoding: "DECIMAL", Length: t.EffectiveDigits()}
		if k.ID == "" {
			k.ID = t.Serial
		}
		if t.Kind == seed.HOTP {
			c := int64(t.Counter)
			if c < 0 {
				return nil, errors.New("counter out of range")
			}
			k.Counter = &c
		} else {
			zero, p := int64(0), int64(t.EffectivePeriod())
			k.Time, k.TimeInterval = &zero, &p
			if s := t.Label(LabelTimeDrift); s != "" {
				d, err := strconv.ParseInt(s, 10, 64)
				if err != nil {
					return nil, fmt.Errorf("label %s: %q is not an integer", LabelTimeDrift, s)
				}
				k.TimeDrift = &d
			}
		}
	case seed.YubicoOTP:
		if len(t.Secret) != 16 {
			return nil, fmt.Errorf("a Yubico OTP key is 16 bytes, this one %d", len(t.Secret))
		}
		k.Algorithm = AlgYubikeyAES
		k.Response = Format{Encoding: "ALPHANUMERIC", Length: 32 + 2*len(t.PublicID)}
		if k.ID == "" {
			slot := t.Label(LabelSlot)
			if slot == "" {
				slot = "1"
			}
			k.ID = t.Serial + ":" + slot
		}
		dev.UserID = t.User
		if t.PublicID != nil || t.PrivateID != nil {
			k.UserID = fmt.Sprintf("CN=%s, UID=%s", yubikey.Modhex(t.PublicID), hex.EncodeToString(t.PrivateID))
		}
	default:
		return nil, fmt.Errorf("token kind %v cannot be written to PSKC", t.Kind)
	}
	return k, nil
}
