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
			return &entraReader{rows: newRows(r, file), o: o}
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

// firstLine is the first non-blank line of head, without BOM and line end.
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
	t.Secret = decodeSecret(&p, "secret key", sec, enc, spare)
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

// lintBase32 warns about base32 spellings tokenctl repairs but strict
// importers refuse.
func lintBase32(p *problems, field string, s []byte) {
	var what []string
	if bytes.ContainsAny(s, "abcdefghijklmnopqrstuvwxyz") {
		what = append(what, "lower case")
	}
	if bytes.ContainsRune(s, '=') {
		what = append(what, "'=' padding")
	}
	if bytes.ContainsAny(s, " -\t") {
		what = append(what, "spaces or dashes")
	}
	if len(what) > 0 {
		p.warn(field, "base32 with %s: the server wants unpadded upper case (tokenctl convert rewrites it)", strings.Join(what, ", "))
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
