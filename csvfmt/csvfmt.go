// Package csvfmt reads and writes the line-oriented seed-file dialects IT
// staff exchange with OTP servers and token vendors: the Microsoft Entra
// (Azure MFA) CSV and its Graph JSON body, Duo's paste-import lines (OATH
// and YubiKey AES), privacyIDEA and LinOTP OATH CSV, generic serial,hex
// lists, otpauth:// key URIs and the output of Token2's PowerShell
// converter.
//
// Readers stream: they hold one line at a time and return one token per
// data line, numbered by physical line (1 = first line of the file, header
// and comments included). Every reader accepts spreadsheet damage that can
// be repaired without guessing: a UTF-8 BOM, CRLF line ends, ';' or tab
// instead of ',' (detected on the first data line), header names in any
// case or spacing, cells padded with blanks, and the comment lines of
// formats that have them. What cannot be repaired is reported as a
// *seed.FieldError located to file, line and field; the reader then goes on
// with the next line. A reader returns a non-nil token together with an
// error when the line parsed but has problems: the error is then a
// Problems list (some may be warnings only), and fields that failed to
// parse are left zero. A problem with the whole file (no Entra header, a
// Duo file without a token type) is a *FileError, after which the reader
// ends: such a file is unusable, not a file with one bad line. Problems
// never quote a secret.
//
// Readers also have a Recycle(*seed.Token) method: a caller done with a
// token (the convert pipeline, once the token is checked and written) may
// hand it back so that the next line reuses its memory, secret buffer
// included; the secret is zeroed on the way. This keeps a million-row
// conversion at one allocation a line.
//
// Writers write one token per Write and need Close to flush; they refuse
// tokens their format cannot represent (the convert package checks the
// full rule set of each target first and reports every problem).
//
// Formats are described by Formats(); the convert package registers them.
package csvfmt

import (
	"fmt"
	"io"
	"strings"

	"github.com/tokenctl/tokenctl/seed"
)

// Options tunes readers and writers. The zero value is valid.
type Options struct {
	// Kind, Digits and Period fill what a format does not state (Duo's
	// lines, generic hex lists, Token2's script output). Zero: the kind
	// stays unknown, 6 digits, 30 seconds.
	Kind   seed.Kind
	Digits int
	Period int
	// SecretEncoding decodes secrets of formats that leave the encoding
	// open (serial-secret), and overrides it for entra, duo, privacyidea,
	// linotp and hex (a vendor file that breaks its format's encoding).
	// The formats whose encoding is part of their syntax (otpauth,
	// duo-yubikey, token2-ps) ignore it.
	SecretEncoding seed.Encoding
	// Lint makes readers warn about spellings they repair but that the
	// format's own server would reject (padded or lower-case base32 in an
	// Entra CSV...). Set it when checking a file for re-import as is.
	Lint bool
	// Charset is how a reader decodes the input's bytes (CharsetAuto:
	// UTF-16 with a BOM, else UTF-8; see Charset). Writers always write
	// UTF-8 without a BOM.
	Charset Charset
	// Append tells a writer that its output continues an existing file:
	// no header is written.
	Append bool
}

// Format describes one dialect. Open or Create is nil when the format
// cannot be read or written.
type Format struct {
	Name    string
	Aliases []string
	Summary string
	// Encoding is how the format writes secrets; EncodingUnknown when it
	// leaves it open.
	Encoding seed.Encoding
	// Appendable: a Write on a writer created with Options.Append extends
	// an existing file correctly (no trailer, header only at the start).
	Appendable bool
	// TOTPSettings: the file says each TOTP token's hash and time step
	// (or the format takes SHA-1 only and has a step column), so that a
	// reader gives them from the file, not from defaults.
	TOTPSettings bool
	Open         func(r io.Reader, file string, o Options) seed.Reader
	Create       func(w io.Writer, o Options) seed.Writer
	Sniff        func(head []byte) bool
}

// Formats lists the dialects of this package.
func Formats() []Format {
	return []Format{
		entraFormat(), entraGraphFormat(),
		duoFormat("duo", seed.KindUnknown), duoFormat("duo-hotp", seed.HOTP), duoFormat("duo-totp", seed.TOTP),
		duoYubiKeyFormat(), privacyIDEAFormat(), linOTPFormat(), hexFormat(), serialSecretFormat(),
		otpauthFormat(), token2PSFormat(),
	}
}

// Problems is every problem found on one line. It unwraps to its
// *seed.FieldError elements (errors.As and errors.Is see them).
type Problems []*seed.FieldError

func (p Problems) Error() string {
	s := make([]string, len(p))
	for i, e := range p {
		s[i] = e.Error()
	}
	return strings.Join(s, "\n")
}

// Unwrap returns the elements, for errors.As.
func (p Problems) Unwrap() []error {
	out := make([]error, len(p))
	for i, e := range p {
		out[i] = e
	}
	return out
}

// problems collects the problems of one line.
type problems struct {
	file string
	line int
	list Problems
}

func (p *problems) add(field, format string, a ...any) {
	p.list = append(p.list, &seed.FieldError{File: p.file, Line: p.line, Field: field, Msg: fmt.Sprintf(format, a...)})
}

func (p *problems) warn(field, format string, a ...any) {
	p.list = append(p.list, &seed.FieldError{File: p.file, Line: p.line, Field: field, Msg: fmt.Sprintf(format, a...), Warning: true})
}

// err is nil, or the list.
func (p *problems) err() error {
	if len(p.list) == 0 {
		return nil
	}
	return p.list
}

// FileError is a problem with a whole input rather than with one of its
// lines: an Entra CSV without its header, a Duo file read without a token
// type. Nothing of the file can be read; the reader returns io.EOF after
// it. It unwraps to its *seed.FieldError, and its Fatal method tells
// callers (the convert pipeline) that the input is unusable as a whole,
// not one bad row among good ones.
type FileError struct{ *seed.FieldError }

// Fatal reports true: the whole input is unusable.
func (e *FileError) Fatal() bool { return true }

// Unwrap returns the FieldError, for errors.As.
func (e *FileError) Unwrap() error { return e.FieldError }

// fileError makes a FieldError about the whole input a FileError; other
// errors (a read error) are returned as they are.
func fileError(err error) error {
	if fe, ok := err.(*seed.FieldError); ok {
		return &FileError{fe}
	}
	return err
}

// fatal is a reader that reports one problem and then the end of input.
type fatal struct {
	err  error
	done bool
}

func (f *fatal) Read() (*seed.Token, int, error) {
	if f.done {
		return nil, 0, io.EOF
	}
	f.done = true
	return nil, 0, f.err
}

// text is a cell: a string, or bytes in the read buffer.
type text interface{ ~string | ~[]byte }

// parseUint parses a decimal cell ("30", "0"); blanks are handled by callers.
func parseUint[T text](s T) (uint64, bool) {
	if len(s) == 0 || len(s) > 19 {
		return 0, false
	}
	var n uint64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + uint64(c-'0')
	}
	return n, true
}

// cellInt parses an integer cell into *dst within [lo,hi]; empty keeps dst.
func cellInt[T text](p *problems, field string, s T, lo, hi int, dst *int) {
	if len(s) == 0 {
		return
	}
	n, ok := parseUint(s)
	if !ok || n < uint64(lo) || n > uint64(hi) {
		p.add(field, "%q is not a number from %d to %d", clip(s), lo, hi)
		return
	}
	*dst = int(n)
}

// clip quotes a short cell for a message. A long one is only measured: a
// cell with a secret in it (columns shifted, a header mislabelled) must
// not end up in an error message, and no secret is 12 characters or less
// (10 bytes is 16 base32 or 20 hex digits).
func clip[T text](b T) string {
	if len(b) > 12 || (len(b) >= 8 && keyLike(string(b))) {
		return fmt.Sprintf("<%d characters>", len(b))
	}
	return string(b)
}

// keyLike says whether s is spelled only with the letters of hex, base32,
// base64 or modhex: a cell that might be a key, a private ID or an access
// code moved into another column (6 bytes are 12 hex or 8 base64
// characters), which a message must not repeat.
func keyLike(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '+' || c == '/' || c == '=' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// decodeSecret decodes a secret cell under enc, into dst's memory when it
// is large enough; the message names the problem without the text.
func decodeSecret(p *problems, field string, s []byte, enc seed.Encoding, dst []byte) []byte {
	if len(s) == 0 {
		p.add(field, "empty")
		return nil
	}
	var b []byte
	var err error
	switch enc {
	case seed.Base32:
		b, err = decodeBase32Into(dst, s)
	case seed.Hex:
		b, err = decodeHexInto(dst, s)
	default:
		b, err = enc.Decode(string(s))
	}
	if err != nil {
		p.add(field, "not %s: %s", enc, strings.TrimPrefix(strings.TrimPrefix(err.Error(), enc.String()+": "), "hex: "))
		return nil
	}
	return b
}

// encoding is how a reader decodes secrets: the format's own encoding def,
// unless Options.SecretEncoding overrides it.
func (o Options) encoding(def seed.Encoding) seed.Encoding {
	if o.SecretEncoding != seed.EncodingUnknown {
		return o.SecretEncoding
	}
	return def
}

func digitsOr(o Options) int {
	if o.Digits != 0 {
		return o.Digits
	}
	return 6
}

func kindName(k seed.Kind) string {
	switch k {
	case seed.HOTP:
		return "HOTP"
	case seed.TOTP:
		return "TOTP"
	}
	return k.String()
}

// PlainSerial reports why a serial cannot be written unquoted in a
// headerless comma format whose importers do not unquote (Duo,
// privacyIDEA, LinOTP): "" when it can.
func PlainSerial(s string) string {
	if isHeaderName(s) {
		return "reads as a header line"
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == ',' || c == ';' || c == '"':
			return fmt.Sprintf("contains %q, which this format cannot quote", c)
		case c < ' ' || c == 0x7f:
			return "contains a control character"
		}
	}
	return ""
}

// strayHeader reports whether the first data line of a headerless format
// is a header someone added ("serial,secret,..."): the reader skips it
// with a warning, since the server would import it as a token.
func strayHeader(r *rows, cells [][]byte) error {
	if r.sawData {
		return nil
	}
	r.sawData = true
	if isHeaderName(string(cells[0])) {
		return &seed.FieldError{File: r.file, Line: r.line, Field: "header", Warning: true,
			Msg: "a header line, skipped: this format has none (the server would import it as a token)"}
	}
	return nil
}

func isHeaderName(s string) bool {
	// Cheap rejection first: this runs on every serial written.
	if len(s) < 2 || len(s) > 16 || (s[0]|0x20 != 's' && s[0]|0x20 != 't') {
		return false
	}
	switch normHeader(s) {
	case "serial", "serialnumber", "serialno", "sn", "tokenserial":
		return true
	}
	return false
}
