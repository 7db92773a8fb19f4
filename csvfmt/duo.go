package csvfmt

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"fmt"
	"io"
	"strconv"

	"github.com/tokenctl/tokenctl/seed"
)

// Duo's paste imports are headerless "serial,hex[,n]" lines where n is the
// HOTP counter or the TOTP step. The file does not say which: the token
// type (HOTP-6, HOTP-8, TOTP-6, TOTP-8) is chosen in Duo's import form, so
// the reader needs it: read as "duo-hotp" or "duo-totp" (or "duo" with
// Options.Kind), with Options.Digits for 8-digit tokens.

func duoFormat(name string, kind seed.Kind) Format {
	f := Format{
		Name:       name,
		Encoding:   seed.Hex,
		Appendable: true,
		Open: func(r io.Reader, file string, o Options) seed.Reader {
			k := kind
			if k == seed.KindUnknown {
				k = o.Kind
			}
			if k != seed.HOTP && k != seed.TOTP {
				return &fatal{err: &FileError{&seed.FieldError{File: file, Field: "token type",
					Msg: "not on any line: a Duo file does not say whether its tokens are HOTP or TOTP (serial,hex,n either way): read it as duo-hotp or duo-totp (or give --kind)"}}}
			}
			return &duoReader{rows: newRows(r, file, o), o: o, kind: k}
		},
		Create: func(w io.Writer, o Options) seed.Writer {
			return &duoWriter{w: bufio.NewWriterSize(w, 64<<10), kind: kind}
		},
	}
	switch kind {
	case seed.HOTP:
		f.Summary = "Duo HOTP paste import: serial,hex,counter (no header; one file per HOTP-6/HOTP-8)"
		f.Sniff = sniffDuo
	case seed.TOTP:
		f.Summary = "Duo TOTP paste import: serial,hex,step (no header; step always written; one file per TOTP-6/TOTP-8)"
		f.Sniff = sniffDuo
		f.TOTPSettings = true // step column; SHA-1 only
	default:
		f.Summary = "Duo OATH paste import, HOTP or TOTP by token (read needs --kind); --split for mixed types"
		f.TOTPSettings = true
	}
	return f
}

// sniffDuo claims "serial,hex,number" lines; since HOTP and TOTP files look
// alike, both duo-hotp and duo-totp claim them and --from is required.
func sniffDuo(head []byte) bool {
	c := splitSimple(firstLine(head), ',')
	if len(c) != 3 {
		return false
	}
	_, ok := parseUint(c[2])
	return ok && isHex(c[1]) && len(c[1]) >= 20
}

func splitSimple(l []byte, d byte) [][]byte {
	if len(l) == 0 {
		return nil
	}
	parts := bytes.Split(l, []byte{d})
	for i := range parts {
		parts[i] = bytes.TrimSpace(parts[i])
	}
	return parts
}

func isHex(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

type duoReader struct {
	*rows
	o    Options
	kind seed.Kind
}

func (d *duoReader) Read() (*seed.Token, int, error) {
	cells, line, err := d.rows.record(true)
	if err != nil {
		return nil, line, err
	}
	p := problems{file: d.rows.file, line: d.rows.line}
	if d.o.Lint {
		d.rows.lintFile(&p, true, false)
	}
	if len(cells) < 2 || len(cells) > 3 {
		p.add("columns", "%d columns, want serial,hex[,%s]", len(cells), map[seed.Kind]string{seed.HOTP: "counter", seed.TOTP: "step"}[d.kind])
		return nil, p.line, p.err()
	}
	t, spare := d.token(seed.Token{Kind: d.kind, Hash: seed.SHA1, Digits: digitsOr(d.o), Serial: d.str(0, cells[0])})
	enc := d.o.encoding(seed.Hex)
	t.Secret = decodeSecret(&p, "secret", cells[1], enc, spare)
	if t.Secret == nil && enc == seed.Hex && oddHex(cells[1]) {
		// Duo files made from base32 by Token2's PowerShell script.
		p.list[len(p.list)-1].Msg += "; " + token2Hint
	}
	if len(cells) == 3 && len(cells[2]) > 0 {
		if d.kind == seed.HOTP {
			readCounter(&p, "counter", cells[2], &t.Counter)
		} else {
			cellInt(&p, "step", cells[2], 1, 86400, &t.Period)
		}
	} else if d.kind == seed.TOTP {
		t.Period = d.o.Period // Duo assumes 30 when the column is missing
	}
	return t, p.line, p.err()
}

type duoWriter struct {
	w    *bufio.Writer
	kind seed.Kind // fixed kind, or unknown for any
}

func (d *duoWriter) Write(t *seed.Token) error {
	if d.kind != seed.KindUnknown && t.Kind != d.kind {
		return fmt.Errorf("duo: a %s token in a %s file", kindName(t.Kind), kindName(d.kind))
	}
	if t.Hash != seed.SHA1 {
		return fmt.Errorf("duo: %s tokens cannot be imported (SHA-1 only)", t.Hash)
	}
	var n string
	switch t.Kind {
	case seed.HOTP:
		n = strconv.FormatUint(t.Counter, 10)
	case seed.TOTP:
		p := t.EffectivePeriod()
		if p != 30 && p != 60 {
			return fmt.Errorf("duo: TOTP step %d s (want 30 or 60)", p)
		}
		n = strconv.Itoa(p)
	default:
		return fmt.Errorf("duo: %s tokens do not go in an OATH file", t.Kind)
	}
	if why := PlainSerial(t.Serial); why != "" {
		return fmt.Errorf("serial %s", why)
	}
	d.w.WriteString(t.Serial)
	d.w.WriteByte(',')
	d.w.Write(appendHexUpper(d.w.AvailableBuffer(), t.Secret))
	d.w.WriteByte(',')
	d.w.WriteString(n)
	_, err := d.w.WriteString("\n")
	return err
}

func (d *duoWriter) Close() error { return d.w.Flush() }

// appendHexUpper appends b as upper-case hex without an intermediate string.
func appendHexUpper(dst, b []byte) []byte {
	const digits = "0123456789ABCDEF"
	for _, c := range b {
		dst = append(dst, digits[c>>4], digits[c&15])
	}
	return dst
}

// DuoType names the Duo token type of t: hotp6, hotp8, totp6, totp8, or
// yubikey; Duo imports one type per file.
func DuoType(t *seed.Token) string {
	d := t.EffectiveDigits()
	switch {
	case t.Kind == seed.HOTP && d == 6:
		return "hotp6"
	case t.Kind == seed.HOTP && d == 8:
		return "hotp8"
	case t.Kind == seed.TOTP && d == 6:
		return "totp6"
	case t.Kind == seed.TOTP && d == 8:
		return "totp8"
	}
	switch t.Kind {
	case seed.HOTP, seed.TOTP:
		return t.Kind.String() + strconv.Itoa(d)
	case seed.YubicoOTP:
		return "yubikey"
	}
	return t.Kind.String()
}

func duoYubiKeyFormat() Format {
	return Format{
		Name:       "duo-yubikey",
		Summary:    "Duo YubiKey AES import: serial,private ID hex,AES key hex",
		Encoding:   seed.Hex,
		Appendable: true,
		Open: func(r io.Reader, file string, o Options) seed.Reader {
			return &duoYKReader{rows: newRows(r, file, o)}
		},
		Create: func(w io.Writer, o Options) seed.Writer { return &duoYKWriter{w: bufio.NewWriterSize(w, 64<<10)} },
		Sniff: func(head []byte) bool {
			c := splitSimple(firstLine(head), ',')
			return len(c) == 3 && len(c[1]) == 12 && isHex(c[1]) && len(c[2]) == 32 && isHex(c[2])
		},
	}
}

type duoYKReader struct{ *rows }

func (d *duoYKReader) Read() (*seed.Token, int, error) {
	cells, line, err := d.rows.record(true)
	if err != nil {
		return nil, line, err
	}
	p := problems{file: d.rows.file, line: d.rows.line}
	if len(cells) != 3 {
		p.add("columns", "%d columns, want serial,private ID,AES key", len(cells))
		return nil, p.line, p.err()
	}
	t, spare := d.token(seed.Token{Kind: seed.YubicoOTP, Serial: d.str(0, cells[0])})
	if id := decodeSecret(&p, "private ID", cells[1], seed.Hex, nil); id != nil {
		if len(id) != 6 {
			p.add("private ID", "%d bytes, want 6", len(id))
		}
		t.PrivateID = id
	}
	if k := decodeSecret(&p, "AES key", cells[2], seed.Hex, spare); k != nil {
		if len(k) != 16 {
			p.add("AES key", "%d bytes, want 16", len(k))
		}
		t.Secret = k
	}
	return t, p.line, p.err()
}

type duoYKWriter struct{ w *bufio.Writer }

func (d *duoYKWriter) Write(t *seed.Token) error {
	if t.Kind != seed.YubicoOTP {
		return fmt.Errorf("duo-yubikey: a %s token is not a YubiKey AES credential", t.Kind)
	}
	if len(t.PrivateID) != 6 || len(t.Secret) != 16 {
		return fmt.Errorf("duo-yubikey: private ID must be 6 bytes and AES key 16 (have %d and %d)", len(t.PrivateID), len(t.Secret))
	}
	if why := PlainSerial(t.Serial); why != "" {
		return fmt.Errorf("serial %s", why)
	}
	d.w.WriteString(t.Serial)
	d.w.WriteByte(',')
	var buf [64]byte
	d.w.Write(hex.AppendEncode(buf[:0], t.PrivateID))
	d.w.WriteByte(',')
	d.w.Write(hex.AppendEncode(buf[:0], t.Secret))
	seed.Zero(buf[:])
	_, err := d.w.WriteString("\n")
	return err
}

func (d *duoYKWriter) Close() error { return d.w.Flush() }
