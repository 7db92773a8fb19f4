// Package seed holds the token model shared by every part of tokenctl: what a
// hardware OTP token is (serial, kind, parameters, secret), the codecs that
// turn secret text into bytes and back, seed generation, OTP codes and the
// search for the step or counter a code belongs to (FindTOTP, FindHOTP),
// and the Reader, Writer and FieldError every seed-file format shares.
package seed

import (
	"fmt"
	"strings"
)

// Kind is the OTP algorithm a token runs.
type Kind int

const (
	KindUnknown Kind = iota
	HOTP             // RFC 4226 counter-based
	TOTP             // RFC 6238 time-based
	YubicoOTP        // Yubico OTP (AES-128, modhex output)
)

func (k Kind) String() string {
	switch k {
	case HOTP:
		return "hotp"
	case TOTP:
		return "totp"
	case YubicoOTP:
		return "yubico-otp"
	}
	return "unknown"
}

// ParseKind accepts hotp, totp, yubico-otp (any case; "yubico", "yubikey-aes" too).
func ParseKind(s string) (Kind, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "hotp", "oath-hotp":
		return HOTP, nil
	case "totp", "oath-totp":
		return TOTP, nil
	case "yubico-otp", "yubico", "yubikey-aes", "yubiotp", "yk":
		return YubicoOTP, nil
	}
	return KindUnknown, fmt.Errorf("unknown token kind %q (want hotp, totp or yubico-otp)", s)
}

// Hash is the HMAC hash function of an OATH token.
type Hash int

const (
	SHA1 Hash = iota
	SHA256
	SHA512
)

func (h Hash) String() string {
	switch h {
	case SHA256:
		return "sha256"
	case SHA512:
		return "sha512"
	}
	return "sha1"
}

// ParseHash accepts sha1, sha256, sha512 in any case, with or without a dash
// or an "hmac" prefix.
func ParseHash(s string) (Hash, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	t = strings.TrimPrefix(t, "hmac")
	t = strings.Trim(strings.ReplaceAll(t, "-", ""), " ")
	switch t {
	case "":
		return SHA1, fmt.Errorf("empty hash name")
	case "sha1":
		return SHA1, nil
	case "sha256":
		return SHA256, nil
	case "sha512":
		return SHA512, nil
	}
	return SHA1, fmt.Errorf("unknown hash %q (want sha1, sha256 or sha512)", s)
}

// DefaultSecretLen is the secret size generated for a hash: the hash's
// output length, as RFC 4226 and RFC 6238 recommend.
func (h Hash) DefaultSecretLen() int {
	switch h {
	case SHA256:
		return 32
	case SHA512:
		return 64
	}
	return 20
}

// Token is one hardware OTP credential.
//
// Secret holds the raw key bytes (for Yubico OTP: the AES-128 key). The
// String method never prints it; use the codecs to encode it on purpose.
type Token struct {
	Serial       string
	Kind         Kind
	Hash         Hash
	Digits       int    // 6 or 8 (OATH); 0 means the kind's default
	Period       int    // TOTP time step in seconds; 0 means 30
	Counter      uint64 // HOTP moving factor
	Manufacturer string
	Model        string
	User         string
	Issuer       string
	Secret       []byte

	// Yubico OTP identity.
	PublicID  []byte // fixed part, usually 6 bytes (shown as modhex)
	PrivateID []byte // 6 bytes

	// Labels carries anything else a format knows (upn, realm, slot...).
	Labels map[string]string
}

// EffectiveDigits is Digits, or 6 when unset.
func (t *Token) EffectiveDigits() int {
	if t.Digits == 0 {
		return 6
	}
	return t.Digits
}

// EffectivePeriod is Period, or 30 when unset.
func (t *Token) EffectivePeriod() int {
	if t.Period == 0 {
		return 30
	}
	return t.Period
}

// String describes the token without its secret.
func (t Token) String() string {
	return fmt.Sprintf("%s %s/%s/%d digits (%d-byte secret)", t.Serial, t.Kind, t.Hash, t.EffectiveDigits(), len(t.Secret))
}

// GoString keeps %#v from printing the secret too.
func (t Token) GoString() string { return "seed.Token{" + t.String() + "}" }

// Label returns a free label, or "".
func (t *Token) Label(k string) string {
	if t.Labels == nil {
		return ""
	}
	return t.Labels[k]
}

// SetLabel sets a free label.
func (t *Token) SetLabel(k, v string) {
	if t.Labels == nil {
		t.Labels = map[string]string{}
	}
	t.Labels[k] = v
}

// Wipe overwrites the secret material in place.
func (t *Token) Wipe() {
	Zero(t.Secret)
	Zero(t.PrivateID)
}

// Zero overwrites b with zeros.
func Zero(b []byte) {
	for i := range b {
		b[i] = 0
	}
}
