package convert

import (
	"bytes"
	"encoding/hex"
	"io"
	"strings"

	"github.com/tokenctl/tokenctl/csvfmt"
	"github.com/tokenctl/tokenctl/seed"
	"github.com/tokenctl/tokenctl/yubikey"
)

// The YubiKey Personalization Tool's logs: "yubico" (the Yubico format,
// what Okta imports) and "yubico-traditional".
func init() {
	Register(Format{
		Name:       "yubico",
		Aliases:    []string{"yubico-log", "ykpers-yubico"},
		Summary:    "YubiKey Personalization Tool log, Yubico format (Okta's YubiKey upload): serial,public ID,private ID,AES key,access code,timestamp,",
		Encoding:   seed.Hex,
		Appendable: true,
		Log:        true,
		Open: func(r io.Reader, file string, o *Options) (seed.Reader, error) {
			return csvfmt.NewYubicoLogReader(r, file), nil
		},
		Create: func(w io.Writer, o *Options) (seed.Writer, error) { return csvfmt.NewYubicoLogWriter(w), nil },
		Sniff:  sniffYubicoLog,
		Check:  checkYubicoLog,
	})
	Register(Format{
		Name:       "yubico-traditional",
		Aliases:    []string{"ykpers-traditional"},
		Summary:    "YubiKey Personalization Tool log, Traditional format (event type, timestamp, slot, IDs, secret, access codes, flags)",
		Encoding:   seed.Hex,
		Appendable: true,
		Log:        true,
		Open: func(r io.Reader, file string, o *Options) (seed.Reader, error) {
			return csvfmt.NewTraditionalLogReader(r, file), nil
		},
		Create: func(w io.Writer, o *Options) (seed.Writer, error) { return csvfmt.NewTraditionalLogWriter(w), nil },
		Sniff: func(head []byte) bool {
			l := firstLogLine(head)
			for _, p := range []string{"LOGGING START,", csvfmt.TraditionalYubicoOTP + ",", csvfmt.TraditionalHOTP + ",", "Challenge-Response: "} {
				if strings.HasPrefix(l, p) {
					return true
				}
			}
			return false
		},
		Check: checkYubicoLog,
	})
}

func firstLogLine(head []byte) string {
	head = bytes.TrimPrefix(head, []byte("\ufeff"))
	if i := bytes.IndexByte(head, '\n'); i >= 0 {
		head = head[:i]
	}
	return strings.TrimRight(string(head), "\r")
}

// sniffYubicoLog: 6 columns and a trailing comma, a 32- or 40-digit hex key
// in the fourth.
func sniffYubicoLog(head []byte) bool {
	c := strings.Split(firstLogLine(head), ",")
	if len(c) != 7 || c[6] != "" {
		return false
	}
	if _, err := hex.DecodeString(c[3]); err != nil || (len(c[3]) != 32 && len(c[3]) != 40) {
		return false
	}
	return strings.Contains(c[5], "T") || c[5] == ""
}

func checkYubicoLog(t *seed.Token) []*seed.FieldError {
	var out []*seed.FieldError
	chal := t.Label(csvfmt.YubicoLabelMode) == csvfmt.YubicoModeChalResp
	switch {
	case chal || t.Kind == seed.HOTP:
		if len(t.Secret) > 20 {
			out = append(out, problem("secret", "%d bytes: a YubiKey slot holds at most 20", len(t.Secret)))
		}
		if t.Hash != seed.SHA1 {
			out = append(out, problem("hash", "%s: a YubiKey slot holds HMAC-SHA1 only", t.Hash))
		}
		if t.Kind == seed.HOTP && !chal {
			if d := t.EffectiveDigits(); d != 6 && d != 8 {
				out = append(out, problem("digits", "%d: a YubiKey slot gives 6 or 8", d))
			}
			if t.Counter%16 != 0 || t.Counter > yubikey.MaxHOTPCounter {
				out = append(out, problem("counter", "%d: a YubiKey slot starts at a multiple of 16 up to %d", t.Counter, yubikey.MaxHOTPCounter))
			}
		}
	case t.Kind == seed.YubicoOTP:
		if len(t.PrivateID) != 6 {
			out = append(out, problem("private ID", "%d bytes, want 6", len(t.PrivateID)))
		}
		if len(t.Secret) != 16 {
			out = append(out, problem("AES key", "%d bytes, want 16", len(t.Secret)))
		}
	default:
		out = append(out, problem("token type", "%s: a YubiKey log holds Yubico OTP, OATH-HOTP and challenge-response credentials", t.Kind))
	}
	if len(t.PublicID) > 16 {
		out = append(out, problem("public ID", "%d bytes, at most 16", len(t.PublicID)))
	}
	return out
}
