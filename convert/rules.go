package convert

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/tokenctl/tokenctl/csvfmt"
	"github.com/tokenctl/tokenctl/seed"
)

// Limits shared by every target.
const (
	MaxSerialLen   = 128 // characters (Duo's limit; no server takes more)
	MinSecretLen   = 10  // bytes: below this no target is accepted
	GoodSecretLen  = 16  // bytes: RFC 4226's minimum; warned below
	EntraMaxBase32 = 128 // characters of base32 the Entra CSV takes
)

func problem(field, format string, a ...any) *seed.FieldError {
	return &seed.FieldError{Field: field, Msg: fmt.Sprintf(format, a...)}
}

func warning(field, format string, a ...any) *seed.FieldError {
	return &seed.FieldError{Field: field, Msg: fmt.Sprintf(format, a...), Warning: true}
}

// commonRules are applied for every target: the serial and the secret.
func commonRules(t *seed.Token, secretFailed bool) []*seed.FieldError {
	var out []*seed.FieldError
	switch n := utf8.RuneCountInString(t.Serial); {
	case n == 0:
		out = append(out, problem("serial", "missing"))
	case n > MaxSerialLen:
		out = append(out, problem("serial", "%d characters, at most %d", n, MaxSerialLen))
	case spreadsheetNumber(t.Serial):
		out = append(out, problem("serial", "%q was damaged by a spreadsheet (scientific notation); re-export the column as text", t.Serial))
	}
	if !secretFailed {
		switch n := len(t.Secret); {
		case n == 0:
			out = append(out, problem("secret", "missing"))
		case t.Kind == seed.YubicoOTP:
		case n < MinSecretLen:
			out = append(out, problem("secret", "%d bytes, at least %d needed (RFC 4226 asks for %d)", n, MinSecretLen, GoodSecretLen))
		case n < GoodSecretLen:
			out = append(out, warning("secret", "%d bytes; RFC 4226 asks for at least %d", n, GoodSecretLen))
		case n > seed.MaxSecretLen:
			out = append(out, problem("secret", "%d bytes, at most %d", n, seed.MaxSecretLen))
		}
	}
	return out
}

// textRules refuses text that is not UTF-8 (an input read in the wrong
// encoding, a caller's bytes), so that no writer passes mojibake on. The
// pipeline skips it for readers that check every line themselves
// (TextChecked).
func textRules(t *seed.Token, out []*seed.FieldError) []*seed.FieldError {
	if nonASCII(t.Serial)|nonASCII(t.User)|nonASCII(t.Manufacturer)|nonASCII(t.Model)|nonASCII(t.Issuer) >= 0x80 {
		for _, f := range [...]struct{ name, v string }{{"serial", t.Serial}, {"user", t.User}, {"manufacturer", t.Manufacturer}, {"model", t.Model}, {"issuer", t.Issuer}} {
			if !validText(f.v) {
				// Never pass mojibake on: the input's encoding was misread.
				out = append(out, problem(f.name, "not valid UTF-8 text (the input's encoding was misread? see --encoding)"))
			}
		}
	}
	return out
}

// spreadsheetNumber recognises a serial a spreadsheet turned into
// scientific notation: digits, an optional fraction, E, an exponent
// ("1.00013E+12", "8.6596E11").
func spreadsheetNumber(s string) bool {
	i, n := 0, len(s)
	digits := func() int {
		j := i
		for i < n && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		return i - j
	}
	if digits() == 0 {
		return false
	}
	if i < n && (s[i] == '.' || s[i] == ',') {
		i++
		digits()
	}
	if i >= n || (s[i] != 'E' && s[i] != 'e') {
		return false
	}
	i++
	if i < n && (s[i] == '+' || s[i] == '-') {
		i++
	}
	return digits() > 0 && i == n
}

func checkOATH(t *seed.Token, server string, out []*seed.FieldError) []*seed.FieldError {
	if t.Kind != seed.HOTP && t.Kind != seed.TOTP {
		if t.Kind == seed.KindUnknown {
			return append(out, problem("token type", "unknown (the input format does not say): give --kind hotp or totp"))
		}
		return append(out, problem("token type", "%s: %s imports HOTP and TOTP tokens only", t.Kind, server))
	}
	if d := t.EffectiveDigits(); d != 6 && d != 8 {
		out = append(out, problem("digits", "%d: %s takes 6 or 8", d, server))
	}
	return out
}

func checkPeriod(t *seed.Token, server, field string, out []*seed.FieldError) []*seed.FieldError {
	if t.Kind == seed.TOTP {
		if p := t.EffectivePeriod(); p != 30 && p != 60 {
			out = append(out, problem(field, "%d s: %s takes 30 or 60", p, server))
		}
	}
	return out
}

// checkPlainSerial: formats whose importers split on ',' without quoting.
func checkPlainSerial(t *seed.Token, out []*seed.FieldError) []*seed.FieldError {
	if why := csvfmt.PlainSerial(t.Serial); why != "" {
		out = append(out, problem("serial", "%s", why))
	}
	return out
}

func checkDuo(kind seed.Kind) func(t *seed.Token) []*seed.FieldError {
	return func(t *seed.Token) []*seed.FieldError {
		out := checkOATH(t, "Duo", checkPlainSerial(t, nil))
		if kind != seed.KindUnknown && t.Kind != kind && t.Kind != seed.KindUnknown {
			out = append(out, problem("token type", "%s token in a duo-%s file", t.Kind, kind))
		}
		if t.Hash != seed.SHA1 {
			out = append(out, problem("hash", "%s: Duo imports SHA-1 tokens only", t.Hash))
		}
		return checkPeriod(t, "Duo", "step", out)
	}
}

func checkDuoYubiKey(t *seed.Token) []*seed.FieldError {
	out := checkPlainSerial(t, nil)
	if t.Kind != seed.YubicoOTP {
		return append(out, problem("token type", "%s: a Duo YubiKey file takes Yubico OTP (AES) credentials only", t.Kind))
	}
	if len(t.PrivateID) != 6 {
		out = append(out, problem("private ID", "%d bytes, want 6", len(t.PrivateID)))
	}
	if len(t.Secret) != 16 {
		out = append(out, problem("AES key", "%d bytes, want 16", len(t.Secret)))
	}
	return out
}

func checkEntraCommon(t *seed.Token, out []*seed.FieldError) []*seed.FieldError {
	if t.Kind != seed.TOTP {
		if t.Kind == seed.KindUnknown {
			return append(out, problem("token type", "unknown (the input format does not say): give --kind totp"))
		}
		return append(out, problem("token type", "%s: Entra imports TOTP tokens only", t.Kind))
	}
	if d := t.EffectiveDigits(); d != 6 {
		out = append(out, problem("digits", "%d: Entra hardware tokens show 6 digits", d))
	}
	out = checkPeriod(t, "Entra", "time interval", out)
	if n := (len(t.Secret)*8 + 4) / 5; n > EntraMaxBase32 {
		out = append(out, problem("secret key", "%d base32 characters, Entra takes at most %d", n, EntraMaxBase32))
	}
	if t.Manufacturer == "" {
		out = append(out, problem("manufacturer", "empty: Entra requires it (give --manufacturer)"))
	}
	if t.Model == "" {
		out = append(out, problem("model", "empty: Entra requires it (give --model)"))
	}
	return out
}

func checkEntra(t *seed.Token) []*seed.FieldError {
	out := checkEntraCommon(t, nil)
	if t.Hash != seed.SHA1 {
		out = append(out, problem("hash", "%s: the Entra CSV imports SHA-1 tokens only (entra-graph takes SHA-256)", t.Hash))
	}
	return out
}

func checkEntraGraph(t *seed.Token) []*seed.FieldError {
	out := checkEntraCommon(t, nil)
	if t.Hash == seed.SHA512 {
		out = append(out, problem("hash", "sha512: Entra takes hmacsha1 or hmacsha256"))
	}
	return out
}

func checkPrivacyIDEA(t *seed.Token) []*seed.FieldError {
	out := checkOATH(t, "privacyIDEA", checkPlainSerial(t, nil))
	if why := csvfmt.PrivacyIDEAMismatch(t); why != "" {
		out = append(out, problem("hash", "%s", why))
	}
	if strings.HasPrefix(t.Serial, "#") && t.User == "" && t.Label("realm") == "" && t.Label("resolver") == "" {
		out = append(out, problem("serial", "%s", csvfmt.PrivacyIDEACommentSerial))
	}
	if strings.HasPrefix(t.User, "#") {
		out = append(out, problem("user", "starts with '#': the line would be a comment, which privacyIDEA skips"))
	}
	return out
}

func checkLinOTP(t *seed.Token) []*seed.FieldError {
	out := checkOATH(t, "LinOTP", checkPlainSerial(t, nil))
	out = checkPeriod(t, "LinOTP", "step", out)
	if t.Kind == seed.HOTP && t.Counter != 0 {
		out = append(out, problem("counter", "%d: the LinOTP CSV has no counter column and the token would restart at 0", t.Counter))
	}
	if t.Serial == "#" {
		out = append(out, problem("serial", "\"#\": LinOTP reads the line as a comment"))
	}
	return out
}

func checkHex(t *seed.Token) []*seed.FieldError {
	if csvfmt.PlainSerial(t.Serial) == "reads as a header line" {
		return []*seed.FieldError{problem("serial", "reads as a header line")}
	}
	return nil
}

func checkOTPAuth(t *seed.Token) []*seed.FieldError {
	out := checkOATH(t, "an otpauth URI", nil)
	if strings.Contains(t.Serial, ":") {
		out = append(out, problem("serial", "contains ':', which a key URI label cannot carry"))
	}
	if strings.Contains(t.Issuer, ":") {
		out = append(out, problem("issuer", "contains ':', which a key URI label cannot carry"))
	}
	return out
}

// nonASCII ORs the bytes of s: 0x80 or more when s is not all ASCII (a
// loop cheaper than utf8.ValidString on the short ASCII cells of nearly
// every row, which then need no further check).
func nonASCII(s string) byte {
	var or byte
	for i := 0; i < len(s); i++ {
		or |= s[i]
	}
	return or
}

// validText is utf8.ValidString with a byte loop for ASCII.
func validText(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return utf8.ValidString(s[i:])
		}
	}
	return true
}
