package seed

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// MaxPeriod is the longest TOTP time step any part of tokenctl accepts, in
// seconds (a day; real tokens step every 30 or 60).
const MaxPeriod = 86400

// CheckDigits checks a code length given by a user: 6, 7 or 8 (RFC 4226);
// with hardware, 6 or 8, the only lengths hardware tokens show. The error
// starts with the value, for the caller to prefix with its flag.
func CheckDigits(n int, hardware bool) error {
	switch {
	case hardware && n != 6 && n != 8:
		return fmt.Errorf("%d: want 6 or 8", n)
	case n < 6 || n > 8:
		return fmt.Errorf("%d: want 6, 7 or 8", n)
	}
	return nil
}

// CheckPeriod checks a TOTP time step given by a user, in seconds:
// 1..MaxPeriod; with hardware, 30 or 60, the only steps hardware tokens
// keep. The error starts with the value, as CheckDigits's.
func CheckPeriod(p int, hardware bool) error {
	switch {
	case hardware && p != 30 && p != 60:
		return fmt.Errorf("%d: want 30 or 60", p)
	case p < 1 || p > MaxPeriod:
		return fmt.Errorf("%d: want 1..%d seconds (30 or 60 on real tokens)", p, MaxPeriod)
	}
	return nil
}

// ParseOATHKind accepts totp or hotp (as ParseKind), the kinds that have
// an OATH code.
func ParseOATHKind(s string) (Kind, error) {
	k, err := ParseKind(s)
	if err != nil || (k != TOTP && k != HOTP) {
		return KindUnknown, fmt.Errorf("%q: want totp or hotp", s)
	}
	return k, nil
}

// DecodeSecret decodes secret text written in e. Errors name the secret
// by name, never its content, suggest the other usual encoding, and
// refuse an empty secret.
func DecodeSecret(text string, e Encoding, name string) ([]byte, error) {
	other := "base32"
	if e == Base32 {
		other = "hex"
	}
	b, err := e.Decode(text)
	switch {
	case err != nil:
		return nil, fmt.Errorf("%s: %w (is it %s? see --encoding)", name, err, other)
	case len(b) == 0:
		return nil, fmt.Errorf("%s: empty secret", name)
	}
	return b, nil
}

// ParseTime reads the time of a TOTP code: RFC 3339
// (2026-01-02T15:04:05Z) or Unix seconds, optionally '@'-prefixed as
// oathtool's --now takes them; not before 1970, where TOTP has no step.
func ParseTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339, s)
	if n, nerr := strconv.ParseInt(strings.TrimPrefix(s, "@"), 10, 64); nerr == nil {
		t, err = time.Unix(n, 0), nil
	}
	switch {
	case err != nil:
		return time.Time{}, fmt.Errorf("%q: want RFC 3339 (2026-01-02T15:04:05Z) or Unix seconds", s)
	case t.Unix() < 0:
		return time.Time{}, fmt.Errorf("%q: before 1970", s)
	}
	return t, nil
}
