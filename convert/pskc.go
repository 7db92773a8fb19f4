package convert

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"time"

	"github.com/tokenctl/tokenctl/csvfmt"
	"github.com/tokenctl/tokenctl/pskc"
	"github.com/tokenctl/tokenctl/seed"
)

// The pskc format: RFC 6030 key containers, read (plain or encrypted with
// Options.PSKCKey / PSKCPassword) and written (plain, pre-shared key, or
// password).
func init() {
	Register(Format{
		Name:     "pskc",
		Aliases:  []string{"rfc6030", "pskcxml"},
		Summary:  "PSKC (RFC 6030) key container: HOTP, TOTP, Yubico AES; plain, pre-shared-key or password encrypted (--pskc-key-file, --pskc-password-file)",
		Open:     openPSKC,
		Create:   createPSKC,
		Sniff:    sniffPSKC,
		Encoding: seed.Base64,
		Check:    checkPSKC,
		// suite and TimeInterval (SHA-1 and 30 s when absent, the OATH
		// defaults)
		TOTPSettings: true,
	})
}

func openPSKC(r io.Reader, file string, o *Options) (seed.Reader, error) {
	po := pskc.Options{File: file}
	if o != nil {
		po.Key, po.Password = o.PSKCKey, o.PSKCPassword
	}
	pr, err := pskc.NewReader(r, po)
	if err != nil {
		return nil, &UsageError{err}
	}
	return &pskcReader{r: pr, file: file}, nil
}

func createPSKC(w io.Writer, o *Options) (seed.Writer, error) {
	var wo pskc.WriterOptions
	if o != nil {
		wo.Key, wo.Password = o.PSKCKey, o.PSKCPassword
	}
	pw, err := pskc.NewWriter(w, wo)
	if err != nil {
		return nil, &UsageError{err}
	}
	return pw, nil
}

// sniffPSKC claims XML whose root is a KeyContainer (or the drafts'
// SecretContainer).
func sniffPSKC(head []byte) bool {
	h := bytes.TrimPrefix(head, []byte("\xef\xbb\xbf"))
	h = bytes.TrimLeft(h, " \t\r\n")
	if !bytes.HasPrefix(h, []byte("<")) {
		return false
	}
	return bytes.Contains(h, []byte("KeyContainer")) || bytes.Contains(h, []byte("SecretContainer"))
}

// checkPSKC is the pskc target's rule set: what a container cannot carry.
func checkPSKC(t *seed.Token) []*seed.FieldError {
	if t.Kind != seed.HOTP && t.Kind != seed.TOTP && t.Kind != seed.YubicoOTP {
		return []*seed.FieldError{{Field: "kind", Msg: "PSKC carries HOTP, TOTP and Yubico OTP tokens; this one is " + t.Kind.String()}}
	}
	if t.Kind == seed.YubicoOTP && len(t.Secret) != 16 {
		return []*seed.FieldError{{Field: "secret", Msg: "a Yubico OTP AES key is 16 bytes"}}
	}
	return nil
}

// pskcReader adapts pskc.Reader to seed.Reader. Problems with one key are
// *seed.FieldError on that key's line; a problem with the whole file (not
// well-formed XML, missing or wrong key or password) is one fatal
// *csvfmt.FileError (see Format.Open), after which the reader ends.
type pskcReader struct {
	r    *pskc.Reader
	file string
	done bool
}

const credentialHint = " (give the key with --pskc-key-file or --pskc-key-env, the password with --pskc-password-file or --pskc-password-env)"

func (p *pskcReader) Read() (*seed.Token, int, error) {
	if p.done {
		return nil, 0, io.EOF
	}
	k, err := p.r.Next()
	if err == io.EOF {
		p.done = true
		return nil, 0, io.EOF
	}
	if err != nil {
		var e *pskc.Error
		if !errors.As(err, &e) {
			p.done = true
			return nil, 0, err
		}
		fe := &seed.FieldError{File: p.file, Line: e.Line, Field: e.Field, Msg: e.Msg}
		if e.Fatal {
			p.done = true
			if errors.Is(err, pskc.ErrNoCredential) {
				fe.Msg += credentialHint
			}
			return nil, e.Line, &csvfmt.FileError{FieldError: fe}
		}
		var all pskc.KeyErrors
		if errors.As(err, &all) {
			// Every problem of the key, each on its own line.
			probs := make(csvfmt.Problems, len(all))
			for i, e := range all {
				probs[i] = &seed.FieldError{File: p.file, Line: e.Line, Field: e.Field, Msg: e.Msg}
			}
			return nil, e.Line, probs
		}
		return nil, e.Line, fe
	}
	defer k.Wipe()
	t, err := k.Token()
	if err != nil {
		field, msg := "Key", err.Error()
		if i := strings.IndexByte(msg, ':'); i > 0 {
			field, msg = msg[:i], msg[i+2:]
		}
		if k.ID != "" {
			// "Key 42/ResponseFormat", "Key 42/Algorithm", "Key 42"
			rest := strings.TrimPrefix(strings.TrimPrefix(field, "Key"), "/")
			field = "Key " + k.ID
			if rest != "" {
				field += "/" + rest
			}
		}
		return nil, k.Line, &seed.FieldError{File: p.file, Line: k.Line, Field: field, Msg: msg}
	}
	if exp, when := k.Expired(time.Now()); exp {
		field := "Policy/ExpiryDate"
		if k.ID != "" {
			field = "Key " + k.ID + "/" + field
		}
		return t, k.Line, &seed.FieldError{File: p.file, Line: k.Line, Field: field, Msg: "the key expired on " + when, Warning: true}
	}
	return t, k.Line, nil
}
