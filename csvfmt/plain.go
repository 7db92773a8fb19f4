package csvfmt

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/tokenctl/tokenctl/seed"
)

// hex: the generic "serial,hexseed[,…]" list many servers import (PingID,
// NetIQ, IBM uploadOath, Deepnet's .hex files). Columns after the second
// are ignored on reading. The kind, digits and step come from Options.

func hexFormat() Format {
	return Format{
		Name:       "hex",
		Summary:    "generic serial,hex[,…] lines (PingID, NetIQ, Deepnet .hex); kind/digits/step from --kind/--digits/--period",
		Encoding:   seed.Hex,
		Appendable: true,
		Open: func(r io.Reader, file string, o Options) seed.Reader {
			return &plainReader{rows: newRows(r, file, o), o: o, enc: seed.Hex, field: "secret"}
		},
		Create: func(w io.Writer, o Options) seed.Writer { return &hexWriter{w: bufio.NewWriterSize(w, 64<<10)} },
		Sniff: func(head []byte) bool {
			c := splitSimple(firstLine(head), ',')
			return len(c) == 2 && isHex(c[1]) && len(c[1])%2 == 0 && len(c[1]) >= 20
		},
	}
}

// serial-secret: "serial,secret[,…]" where the file does not say how the
// secret is written. A secret that decodes as both hex and base32 needs
// Options.SecretEncoding; tokenctl never guesses between them.
func serialSecretFormat() Format {
	return Format{
		Name:    "serial-secret",
		Summary: "serial,secret[,…] with hex or base32 secrets (read only; ambiguous secrets need --secret-encoding)",
		Open: func(r io.Reader, file string, o Options) seed.Reader {
			return &plainReader{rows: newRows(r, file, o), o: o, enc: seed.EncodingUnknown, field: "secret"}
		},
	}
}

type plainReader struct {
	*rows
	o     Options
	enc   seed.Encoding
	field string
}

func (r *plainReader) Read() (*seed.Token, int, error) {
	cells, line, err := r.rows.record(true)
	if err != nil {
		return nil, line, err
	}
	p := problems{file: r.rows.file, line: r.rows.line}
	if r.o.Lint {
		r.rows.lintFile(&p, true, false)
	}
	if len(cells) < 2 {
		p.add("columns", "%d column, want serial,secret[,…]", len(cells))
		return nil, p.line, p.err()
	}
	t, spare := r.token(seed.Token{Serial: string(cells[0]), Kind: r.o.Kind, Hash: seed.SHA1, Digits: r.o.Digits, Period: r.o.Period})
	enc := r.o.encoding(r.enc)
	if enc == seed.EncodingUnknown {
		switch v := validIn(cells[1]); len(v) {
		case 0:
			p.add(r.field, "neither hex nor base32")
		case 1:
			enc = v[0]
		default:
			p.add(r.field, "valid as both hex and base32: give --secret-encoding hex or base32")
		}
	}
	if enc != seed.EncodingUnknown {
		t.Secret = decodeSecret(&p, r.field, cells[1], enc, spare)
	}
	return t, p.line, p.err()
}

type hexWriter struct{ w *bufio.Writer }

func (h *hexWriter) Write(t *seed.Token) error {
	if isHeaderName(t.Serial) {
		return fmt.Errorf("hex: serial %q reads as a header line", t.Serial)
	}
	h.w.WriteString(quoteCell(t.Serial))
	h.w.WriteByte(',')
	h.w.Write(appendHexUpper(h.w.AvailableBuffer(), t.Secret))
	_, err := h.w.WriteString("\n")
	return err
}

func (h *hexWriter) Close() error { return h.w.Flush() }

// token2-ps: the output of Token2's PowerShell converter to Duo
// (Base32toHex-Convert.ps1): "SERIAL HEX" separated by one space, no
// header, no time step. The script does no validation; a base32 length of
// 1, 3, 4 or 6 modulo 8 comes out as an odd number of hex digits, which
// this reader names as that corruption. Lower-case or padded base32 input
// also gives wrong hex that cannot be detected: reconvert such tokens from
// the vendor's original file when in doubt.

// token2Script names the damage Token2's PowerShell converter does.
const token2Script = "odd number of hex digits: the corruption of Token2's PowerShell converter (Base32toHex-Convert.ps1) on base32 seeds whose length is not a whole number of bytes; convert the vendor's original base32 file instead"

// token2Hint names the likely origin of odd-length hex in a Duo file.
const token2Hint = "Token2's PowerShell converter (Base32toHex-Convert.ps1) writes such hex from base32 seeds: convert the vendor's original base32 file instead"

// oddHex reports a cell of hex digits only, odd in number.
func oddHex(b []byte) bool { return len(b)%2 == 1 && isHex(b) }

var t2Line = regexp.MustCompile(`^\S+ [0-9A-Fa-f]+$`)

func token2PSFormat() Format {
	return Format{
		Name:     "token2-ps",
		Summary:  "Token2 PowerShell converter output: SERIAL HEX (read only; step not kept: --period 60 for 60 s tokens)",
		Encoding: seed.Hex,
		Open: func(r io.Reader, file string, o Options) seed.Reader {
			rr := newRows(r, file, o)
			rr.delim = ' '
			return &t2Reader{rows: rr, o: o}
		},
		Sniff: func(head []byte) bool {
			return t2Line.Match(bytes.TrimSpace(firstLine(head)))
		},
	}
}

type t2Reader struct {
	*rows
	o      Options
	warned bool // the assumed step was said (on the first token)
}

func (r *t2Reader) Read() (*seed.Token, int, error) {
	b, err := r.rows.readLine()
	for err == nil && len(bytes.TrimSpace(b)) == 0 {
		b, err = r.rows.readLine()
	}
	if err != nil {
		return nil, r.rows.errLine(err), err
	}
	p := problems{file: r.rows.file, line: r.rows.line}
	r.rawb = b
	f := bytes.Fields(b)
	if len(f) != 2 {
		p.add("columns", "%d fields, want SERIAL HEX separated by a space", len(f))
		return nil, p.line, p.err()
	}
	k := r.o.Kind
	if k == seed.KindUnknown {
		k = seed.TOTP
	}
	if k == seed.TOTP && r.o.Period == 0 && !r.warned {
		// Said once, on the first token: it holds for the whole file.
		r.warned = true
		p.warn("step", "Token2's script drops the time step: 30 s assumed for every token of this file (give --period 60 for 60-second tokens)")
	}
	t, spare := r.token(seed.Token{Serial: string(f[0]), Kind: k, Hash: seed.SHA1, Digits: digitsOr(r.o), Period: r.o.Period})
	sec, err := decodeHexInto(spare, f[1])
	switch {
	case errors.Is(err, seed.ErrOddHex):
		p.add("secret", "%d hex digits: %s", len(f[1]), token2Script)
	case err != nil:
		p.add("secret", "not hex: %s", strings.TrimPrefix(err.Error(), "hex: "))
	default:
		t.Secret = sec
	}
	return t, p.line, p.err()
}

// validIn is seed.ValidIn for a cell, through the fast decoders.
func validIn(s []byte) []seed.Encoding {
	var out []seed.Encoding
	var buf [seed.MaxSecretLen]byte
	if b, err := decodeHexInto(buf[:0], s); err == nil {
		seed.Zero(b)
		out = append(out, seed.Hex)
	}
	if b, err := decodeBase32Into(buf[:0], s); err == nil {
		seed.Zero(b)
		out = append(out, seed.Base32)
	}
	return out
}
