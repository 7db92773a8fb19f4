package csvfmt

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/tokenctl/tokenctl/seed"
)

// EntraHeader is the header line Microsoft documents for the Entra ID
// (Azure MFA) hardware OATH token CSV.
const EntraHeader = "upn,serial number,secret key,time interval,manufacturer,model"

var entraCols = [...]string{"upn", "serial number", "secret key", "time interval", "manufacturer", "model"}

const (
	eUPN = iota
	eSerial
	eSecret
	eInterval
	eManufacturer
	eModel
)

func entraFormat() Format {
	return Format{
		Name:         "entra",
		Aliases:      []string{"azure"},
		Summary:      "Microsoft Entra ID (Azure MFA) OATH CSV: " + EntraHeader + "; base32, TOTP 30/60 s",
		Encoding:     seed.Base32,
		Appendable:   true,
		TOTPSettings: true, // time interval column; SHA-1 only
		Open: func(r io.Reader, file string, o Options) seed.Reader {
			return &entraReader{rows: newRows(r, file, o), o: o}
		},
		Create: func(w io.Writer, o Options) seed.Writer {
			return &entraWriter{w: bufio.NewWriterSize(w, 64<<10), header: !o.Append}
		},
		Sniff: sniffEntra,
	}
}

func sniffEntra(head []byte) bool {
	line := firstLine(head)
	n := normHeader(string(line))
	return strings.Contains(n, "serialnumber") && strings.Contains(n, "secretkey")
}

// firstLine is the first non-blank line of head, without BOM, line end
// and Excel's "sep=" line.
func firstLine(head []byte) []byte {
	head = bytes.TrimPrefix(head, []byte("\xef\xbb\xbf"))
	for len(head) > 0 {
		i := bytes.IndexByte(head, '\n')
		var l []byte
		if i < 0 {
			l, head = head, nil
		} else {
			l, head = head[:i], head[i+1:]
		}
		l = bytes.TrimSpace(l)
		if _, sep := sepLine(l); sep {
			continue // Excel's "sep=;" line
		}
		if len(l) > 0 {
			return l
		}
	}
	return nil
}

type entraReader struct {
	*rows
	o      Options
	idx    [6]int
	ncol   int
	header bool
	dead   bool
}

// readHeader reads the header line. Its errors are *FileError (or a read
// error): without its header the file cannot be read.
func (e *entraReader) readHeader() error {
	cells, err := e.rows.next()
	if err == io.EOF {
		e.dead = true
		return fileError(e.rows.errf("header", "missing: the file is empty; an Entra CSV starts with the header %s", EntraHeader))
	}
	if err != nil {
		e.dead = true
		return fileError(err) // an unreadable header line
	}
	for i := range e.idx {
		e.idx[i] = -1
	}
	known := 0
	for i, c := range cells {
		n := normHeader(string(c))
		for j, want := range entraCols {
			if n == normHeader(want) && e.idx[j] < 0 {
				e.idx[j] = i
				known++
			}
		}
	}
	e.ncol = len(cells)
	if known == 0 {
		e.dead = true
		return fileError(e.rows.errf("header", "missing: an Entra CSV must start with the header %s", EntraHeader))
	}
	var missing []string
	for j, i := range e.idx {
		if i < 0 {
			missing = append(missing, strconv.Quote(entraCols[j]))
		}
	}
	if len(missing) > 0 {
		e.dead = true
		return fileError(e.rows.errf("header", "missing column %s (want %s)", strings.Join(missing, ", "), EntraHeader))
	}
	return nil
}

func (e *entraReader) Read() (*seed.Token, int, error) {
	if e.dead {
		return nil, 0, io.EOF
	}
	if !e.header {
		e.header = true
		if err := e.readHeader(); err != nil {
			return nil, e.rows.line, err
		}
	}
	cells, line, err := e.rows.record(false)
	if err != nil {
		return nil, line, err
	}
	p := problems{file: e.rows.file, line: e.rows.line}
	if e.o.Lint {
		e.rows.lintFile(&p, true, false)
	}
	if len(cells) != e.ncol {
		p.add("columns", "%d columns, want %d as in the header", len(cells), e.ncol)
		return nil, p.line, p.err()
	}
	t, spare := e.token(seed.Token{Kind: seed.TOTP, Hash: seed.SHA1, Digits: 6})
	t.Serial = e.str(eSerial, cells[e.idx[eSerial]])
	if u := cells[e.idx[eUPN]]; len(u) > 0 {
		t.User = strings.ReplaceAll(string(u), "''", "'")
	}
	t.Manufacturer = e.str(eManufacturer, cells[e.idx[eManufacturer]])
	t.Model = e.str(eModel, cells[e.idx[eModel]])
	enc := e.o.encoding(seed.Base32)
	sec := cells[e.idx[eSecret]]
	if enc == seed.Base32 {
		t.Secret = decodeEntraBase32(&p, "secret key", sec, spare)
	} else {
		t.Secret = decodeSecret(&p, "secret key", sec, enc, spare)
	}
	if e.o.Lint && t.Secret != nil && enc == seed.Base32 {
		lintBase32(&p, "secret key", sec)
	}
	iv := cells[e.idx[eInterval]]
	if len(iv) == 0 {
		p.add("time interval", "empty (want 30 or 60)")
	} else {
		cellInt(&p, "time interval", iv, 1, 86400, &t.Period)
	}
	return t, p.line, p.err()
}

// decodeEntraBase32 decodes an Entra secret as Entra does. Microsoft's
// own example file (Microsoft Learn, "Upload hardware OATH tokens in CSV
// format") has a 26-character secret whose last character carries 2 bits
// past the 16th byte, and Entra takes it: like common base32 decoders it
// drops those bits. So does this reader, with a warning, since they are
// not part of the key (a tokenctl output writes the 16 bytes alone), when
// the whole bytes make a usual key size (see entraKeySize): a truncated
// cell also ends in stray bits, and stays refused.
func decodeEntraBase32(p *problems, field string, s, spare []byte) []byte {
	b, err := decodeBase32Into(spare, s)
	if err == nil {
		return b
	}
	// Canonical form: letters in upper case, blanks, dashes and padding
	// out (these are reported by the usual decoder, or by lint).
	var buf [160]byte
	c := buf[:0]
	for _, x := range s {
		switch {
		case x >= 'a' && x <= 'z':
			c = append(c, x-'a'+'A')
		case x == ' ' || x == '-' || x == '\t' || x == '=':
		default:
			c = append(c, x)
		}
		if len(c) == len(buf) {
			break
		}
	}
	defer seed.Zero(buf[:])
	r := len(c) % 8
	unused := (r * 5) % 8
	if r == 0 || unused == 0 || len(c) == len(buf) || b32val[c[len(c)-1]] >= 32 {
		return decodeSecret(p, field, s, seed.Base32, spare)
	}
	last := b32val[c[len(c)-1]]
	if last&(1<<unused-1) == 0 {
		return decodeSecret(p, field, s, seed.Base32, spare)
	}
	c[len(c)-1] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"[last&^(1<<unused-1)]
	if n := len(c) * 5 / 8; !entraKeySize(n) {
		// Trailing bits on a key of an unusual size are the sign of a
		// truncated cell, not of an encoder that left them set.
		return decodeSecret(p, field, s, seed.Base32, spare)
	}
	b, err = decodeBase32Into(spare, c)
	if err != nil {
		return decodeSecret(p, field, s, seed.Base32, spare)
	}
	p.warn(field, "the last base32 character carries %d bits past the final byte; dropped, as Entra does (the key is the %d whole bytes)", unused, len(b))
	return b
}

// entraKeySize: the key sizes for which decodeEntraBase32 drops trailing
// bits (Microsoft's example is 16 bytes; 10, 20, 32 and 64 are the other
// usual sizes). At any other size the bits are taken as damage.
func entraKeySize(n int) bool {
	switch n {
	case 10, 16, 20, 32, 64:
		return true
	}
	return false
}

// lintBase32 warns about base32 spellings tokenctl repairs but the Entra
// upload refuses: Microsoft documents a-z, A-Z and 2-7 only, so lower
// case is fine, padding and separators are not.
func lintBase32(p *problems, field string, s []byte) {
	var what []string
	if bytes.ContainsRune(s, '=') {
		what = append(what, "'=' padding")
	}
	if bytes.ContainsAny(s, " -\t") {
		what = append(what, "spaces or dashes")
	}
	if len(what) > 0 {
		p.warn(field, "base32 with %s: Entra takes only a-z, A-Z and 2-7 (tokenctl convert rewrites it)", strings.Join(what, ", "))
	}
}

type entraWriter struct {
	w      *bufio.Writer
	header bool
}

// entraUPN escapes a UPN for the Entra CSV: each apostrophe is doubled.
func entraUPN(u string) string { return strings.ReplaceAll(u, "'", "''") }

func (e *entraWriter) Write(t *seed.Token) error {
	if t.Kind != seed.TOTP {
		return fmt.Errorf("entra: %s tokens cannot be imported (TOTP only)", t.Kind)
	}
	if t.Hash != seed.SHA1 {
		return fmt.Errorf("entra: %s cannot be imported through the CSV (SHA-1 only)", t.Hash)
	}
	if p := t.EffectivePeriod(); p != 30 && p != 60 {
		return fmt.Errorf("entra: time interval %d s (want 30 or 60)", p)
	}
	if e.header {
		e.header = false
		e.w.WriteString(EntraHeader + "\n")
	}
	e.w.WriteString(quoteCell(entraUPN(t.User)))
	e.w.WriteByte(',')
	e.w.WriteString(quoteCell(t.Serial))
	e.w.WriteByte(',')
	e.w.WriteString(seed.EncodeBase32(t.Secret))
	e.w.WriteByte(',')
	e.w.WriteString(strconv.Itoa(t.EffectivePeriod()))
	e.w.WriteByte(',')
	e.w.WriteString(quoteCell(t.Manufacturer))
	e.w.WriteByte(',')
	e.w.WriteString(quoteCell(t.Model))
	_, err := e.w.WriteString("\n")
	return err
}

func (e *entraWriter) Close() error {
	if e.header {
		e.header = false
		e.w.WriteString(EntraHeader + "\n")
	}
	return e.w.Flush()
}
