package csvfmt

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"

	"github.com/tokenctl/tokenctl/seed"
)

// otpauth: one Google Authenticator key URI a line,
// otpauth://totp/Issuer:serial?secret=…&issuer=…&algorithm=SHA1&digits=6&period=30
// (hotp: counter= instead of period=). The label's account part is the
// token serial; a "serial" parameter, when present, wins. Lines starting
// with '#' are comments.

func otpauthFormat() Format {
	return Format{
		Name:         "otpauth",
		Aliases:      []string{"uri"},
		Summary:      "otpauth:// key URIs, one a line (Google Authenticator; what QR codes carry)",
		Encoding:     seed.Base32,
		Appendable:   true,
		TOTPSettings: true, // algorithm= and period= (SHA1 and 30 when absent, by the key URI format)
		Open: func(r io.Reader, file string, o Options) seed.Reader {
			return &uriReader{rows: newRows(r, file, o)}
		},
		Create: func(w io.Writer, o Options) seed.Writer { return &uriWriter{w: bufio.NewWriterSize(w, 64<<10)} },
		Sniff: func(head []byte) bool {
			return bytes.HasPrefix(bytes.ToLower(firstLine(head)), []byte("otpauth://"))
		},
	}
}

type uriReader struct{ *rows }

func (r *uriReader) Read() (*seed.Token, int, error) {
	var line string
	for {
		b, err := r.rows.readLine()
		if err != nil {
			return nil, r.rows.errLine(err), err
		}
		r.rawb = b
		line = strings.TrimSpace(string(b))
		if line != "" && !strings.HasPrefix(line, "#") {
			break
		}
	}
	p := problems{file: r.rows.file, line: r.rows.line}
	t := parseURI(&p, line)
	return t, p.line, p.err()
}

// parseURI parses one otpauth:// URI: nil when it is not one, or a token
// with the problems of its parameters in p.
func parseURI(p *problems, s string) *seed.Token {
	const scheme = "otpauth://"
	if len(s) < len(scheme) || !strings.EqualFold(s[:len(scheme)], scheme) {
		p.add("uri", "not an otpauth:// URI")
		return nil
	}
	rest := s[len(scheme):]
	typ, rawLabel, rawQuery := rest, "", ""
	if i := strings.IndexByte(rest, '?'); i >= 0 {
		typ, rawQuery = rest[:i], rest[i+1:]
	}
	if i := strings.IndexByte(typ, '/'); i >= 0 {
		typ, rawLabel = typ[:i], typ[i+1:]
	}
	t := &seed.Token{Hash: seed.SHA1, Digits: 6}
	switch strings.ToLower(typ) {
	case "totp":
		t.Kind = seed.TOTP
	case "hotp":
		t.Kind = seed.HOTP
	default:
		p.add("type", "%q (want totp or hotp)", clip(typ))
		return nil
	}
	// The label is "issuer:account" with the colon literal or as %3A;
	// neither part may contain a colon itself.
	rawAccount := rawLabel
	if i := labelColon(rawLabel); i >= 0 {
		sep := 1
		if rawLabel[i] == '%' {
			sep = 3
		}
		iss, err := url.PathUnescape(rawLabel[:i])
		if err != nil {
			p.add("label", "malformed percent-encoding")
			return nil
		}
		t.Issuer = strings.TrimSpace(iss)
		rawAccount = rawLabel[i+sep:]
	}
	account, err := url.PathUnescape(rawAccount)
	if err != nil {
		p.add("label", "malformed percent-encoding")
		return nil
	}
	t.Serial = strings.TrimSpace(account)
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		p.add("uri", "malformed query")
		return nil
	}
	if v := q.Get("serial"); v != "" {
		t.Serial = v
	}
	if v := strings.TrimSpace(q.Get("issuer")); v != "" {
		if t.Issuer != "" && t.Issuer != v {
			p.warn("issuer", "label issuer %q differs from issuer parameter %q", clip(t.Issuer), clip(v))
		}
		t.Issuer = v
	}
	if _, has := q["secret"]; !has {
		p.add("secret", "missing")
	} else {
		t.Secret = decodeSecret(p, "secret", []byte(q.Get("secret")), seed.Base32, nil)
	}
	if v := q.Get("algorithm"); v != "" {
		h, err := seed.ParseHash(v)
		if err != nil {
			p.add("algorithm", "%q (want SHA1, SHA256 or SHA512)", clip(v))
		}
		t.Hash = h
	}
	if v := q.Get("digits"); v != "" {
		readDigits(p, "digits", v, &t.Digits)
	}
	if t.Kind == seed.TOTP {
		if v := q.Get("period"); v != "" {
			cellInt(p, "period", v, 1, 86400, &t.Period)
		}
	} else {
		v := q.Get("counter")
		if v == "" {
			p.add("counter", "missing (an hotp URI needs counter=)")
		} else {
			readCounter(p, "counter", v, &t.Counter)
		}
	}
	return t
}

// labelColon finds the issuer separator of a raw label: ':' or "%3A".
func labelColon(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] == ':' {
			return i
		}
		if s[i] == '%' && i+2 < len(s) && s[i+1] == '3' && (s[i+2] == 'A' || s[i+2] == 'a') {
			return i
		}
	}
	return -1
}

// keyURI writes t as an otpauth:// URI. Neither the issuer nor the serial
// may contain a colon (the key URI format has no way to write one).
func keyURI(t *seed.Token) (string, error) {
	if strings.Contains(t.Issuer, ":") || strings.Contains(t.Serial, ":") {
		return "", errors.New("otpauth: an issuer or serial with ':' cannot be written in a key URI label")
	}
	var kind string
	switch t.Kind {
	case seed.TOTP:
		kind = "totp"
	case seed.HOTP:
		kind = "hotp"
	default:
		return "", fmt.Errorf("otpauth: %s tokens have no key URI", t.Kind)
	}
	var b strings.Builder
	b.WriteString("otpauth://" + kind + "/")
	if t.Issuer != "" {
		b.WriteString(escape(t.Issuer) + ":")
	}
	b.WriteString(escape(t.Serial))
	b.WriteString("?secret=" + seed.EncodeBase32(t.Secret))
	if t.Issuer != "" {
		b.WriteString("&issuer=" + escape(t.Issuer))
	}
	b.WriteString("&algorithm=" + strings.ToUpper(t.Hash.String()))
	b.WriteString("&digits=" + strconv.Itoa(t.EffectiveDigits()))
	if t.Kind == seed.TOTP {
		b.WriteString("&period=" + strconv.Itoa(t.EffectivePeriod()))
	} else {
		b.WriteString("&counter=" + strconv.FormatUint(t.Counter, 10))
	}
	return b.String(), nil
}

// escape percent-encodes s for a URI label or query value (spaces as %20,
// ':' encoded so it cannot be taken for the issuer separator).
func escape(s string) string {
	return strings.ReplaceAll(url.QueryEscape(s), "+", "%20")
}

type uriWriter struct{ w *bufio.Writer }

func (w *uriWriter) Write(t *seed.Token) error {
	s, err := keyURI(t)
	if err != nil {
		return err
	}
	w.w.WriteString(s)
	_, err = w.w.WriteString("\n")
	return err
}

func (w *uriWriter) Close() error { return w.w.Flush() }
