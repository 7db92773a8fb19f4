package seed

import (
	"encoding/base32"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// Encoding names how a secret is written as text.
type Encoding int

const (
	EncodingUnknown Encoding = iota
	Hex
	Base32
	Base64
)

func (e Encoding) String() string {
	switch e {
	case Hex:
		return "hex"
	case Base32:
		return "base32"
	case Base64:
		return "base64"
	}
	return "unknown"
}

// ParseEncoding accepts hex, base32, base64.
func ParseEncoding(s string) (Encoding, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "hex":
		return Hex, nil
	case "base32", "b32":
		return Base32, nil
	case "base64", "b64":
		return Base64, nil
	}
	return EncodingUnknown, fmt.Errorf("unknown secret encoding %q (want hex, base32 or base64)", s)
}

// Decode turns secret text into bytes under e. Errors describe the problem
// without repeating the text, which is secret.
func (e Encoding) Decode(s string) ([]byte, error) {
	switch e {
	case Hex:
		return DecodeHex(s)
	case Base32:
		return DecodeBase32(s)
	case Base64:
		return DecodeBase64(s)
	}
	return nil, errors.New("secret encoding not known")
}

// Encode writes b as text under e (hex upper-case, base32 unpadded upper-case).
func (e Encoding) Encode(b []byte) string {
	switch e {
	case Hex:
		return EncodeHex(b)
	case Base32:
		return EncodeBase32(b)
	case Base64:
		return base64.StdEncoding.EncodeToString(b)
	}
	return ""
}

// ErrOddHex reports hex text with an odd number of digits.
var ErrOddHex = errors.New("odd number of hex digits")

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// DecodeBase32 decodes RFC 4648 base32 as people write it: any case,
// spaces, tabs and dashes between groups, with or without '=' padding at
// the end. The text must be a whole number of bytes: a length no encoder
// produces (1, 3 or 6 characters past a group of 8) or a last character
// whose unused low bits are not zero is refused, since that is what a
// truncated or damaged secret looks like.
func DecodeBase32(s string) ([]byte, error) {
	buf := make([]byte, 0, len(s))
	fail := func(err error) ([]byte, error) {
		Zero(buf)
		return nil, err
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z':
			buf = append(buf, c-'a'+'A')
		case c >= 'A' && c <= 'Z', c >= '2' && c <= '7':
			buf = append(buf, c)
		case c == ' ' || c == '-' || c == '\t':
		case c == '=':
			if err := paddingOnly(s[i:], i, "= -\t"); err != nil {
				return fail(fmt.Errorf("base32: %w", err))
			}
			i = len(s)
		default:
			return fail(fmt.Errorf("base32: invalid character at position %d", i+1))
		}
	}
	if len(buf) == 0 {
		return nil, errors.New("base32: empty secret")
	}
	switch len(buf) % 8 {
	case 1, 3, 6:
		return fail(fmt.Errorf("base32: %d characters is not a whole number of bytes (truncated?)", len(buf)))
	}
	// The bits of the last character past the final byte must be zero.
	if r := len(buf) % 8; r != 0 {
		unused := (r * 5) % 8
		v := strings.IndexByte(b32Alphabet, buf[len(buf)-1])
		if v&(1<<unused-1) != 0 {
			return fail(errors.New("base32: last character has bits past the final byte (damaged or truncated?)"))
		}
	}
	out := make([]byte, b32.DecodedLen(len(buf)))
	n, err := b32.Decode(out, buf)
	Zero(buf)
	if err != nil {
		Zero(out)
		return nil, errors.New("base32: malformed text")
	}
	return out[:n], nil
}

const b32Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"

// paddingOnly checks that tail, which starts at offset from in the text,
// holds nothing but padding and the separators in allowed: padding is
// accepted only at the end.
func paddingOnly(tail string, from int, allowed string) error {
	for j := 0; j < len(tail); j++ {
		if strings.IndexByte(allowed, tail[j]) < 0 {
			return fmt.Errorf("character at position %d follows '=' padding", from+j+1)
		}
	}
	return nil
}

// EncodeBase32 writes b as upper-case base32 without padding.
func EncodeBase32(b []byte) string { return b32.EncodeToString(b) }

// DecodeHex decodes hex digits in any case; spaces, tabs and colons
// between bytes are accepted.
func DecodeHex(s string) ([]byte, error) {
	buf := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9', c >= 'a' && c <= 'f', c >= 'A' && c <= 'F':
			buf = append(buf, c)
		case c == ' ' || c == ':' || c == '\t':
		default:
			Zero(buf)
			return nil, fmt.Errorf("hex: invalid character at position %d", i+1)
		}
	}
	if len(buf) == 0 {
		return nil, errors.New("hex: empty secret")
	}
	if len(buf)%2 != 0 {
		n := len(buf)
		Zero(buf)
		return nil, fmt.Errorf("hex: %w (%d)", ErrOddHex, n)
	}
	out := make([]byte, len(buf)/2)
	_, err := hex.Decode(out, buf)
	Zero(buf)
	if err != nil {
		Zero(out)
		return nil, errors.New("hex: malformed text")
	}
	return out, nil
}

// EncodeHex writes b as upper-case hex.
func EncodeHex(b []byte) string { return strings.ToUpper(hex.EncodeToString(b)) }

// DecodeBase64 decodes standard or URL-safe base64, padded or not, with
// white space anywhere. Like DecodeBase32 it refuses a length no encoder
// produces and a last character with bits past the final byte.
func DecodeBase64(s string) ([]byte, error) {
	buf := make([]byte, 0, len(s))
	fail := func(err error) ([]byte, error) {
		Zero(buf)
		return nil, err
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '+', c == '/':
			buf = append(buf, c)
		case c == '-':
			buf = append(buf, '+')
		case c == '_':
			buf = append(buf, '/')
		case c == ' ', c == '\t', c == '\r', c == '\n':
		case c == '=':
			if err := paddingOnly(s[i:], i, "= \t\r\n"); err != nil {
				return fail(fmt.Errorf("base64: %w", err))
			}
			i = len(s)
		default:
			return fail(fmt.Errorf("base64: invalid character at position %d", i+1))
		}
	}
	if len(buf) == 0 {
		return nil, errors.New("base64: empty secret")
	}
	if len(buf)%4 == 1 {
		return fail(fmt.Errorf("base64: %d characters is not a whole number of bytes (truncated?)", len(buf)))
	}
	out := make([]byte, base64.RawStdEncoding.DecodedLen(len(buf)))
	n, err := base64.RawStdEncoding.Strict().Decode(out, buf)
	Zero(buf)
	if err != nil {
		Zero(out)
		return nil, errors.New("base64: last character has bits past the final byte (damaged or truncated?)")
	}
	return out[:n], nil
}

// ValidIn reports which encodings the text decodes under; used to refuse
// guessing when a format leaves the encoding open.
func ValidIn(s string) []Encoding {
	var out []Encoding
	for _, e := range []Encoding{Hex, Base32} {
		if b, err := e.Decode(s); err == nil {
			Zero(b)
			out = append(out, e)
		}
	}
	return out
}
