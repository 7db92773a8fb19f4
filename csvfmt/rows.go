package csvfmt

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/tokenctl/tokenctl/seed"
)

// maxLine bounds one input line; a longer one is refused rather than
// buffered without limit.
const maxLine = 1 << 20

// rows splits delimited text into trimmed cells, one physical line at a
// time. It strips a UTF-8 BOM, accepts LF and CRLF, detects the delimiter
// (',' ';' or tab) on the first data line unless told, and unquotes
// RFC 4180 double-quoted cells (a quoted cell cannot span lines).
type rows struct {
	br    *bufio.Reader
	file  string
	line  int
	delim byte // 0 = detect on the first data line
	// comment reports whether a line (trimmed) is a comment to skip; nil
	// means the format has no comments.
	comment func(line []byte) bool
	// rawComment: comment sees the line as it is, leading blanks included
	// (privacyIDEA tests the first character of the raw line).
	rawComment bool
	onComment  func(line string)
	cells      [][]byte // cells of the current line, valid until the next read
	unq        []byte   // text of unquoted cells
	rawb       []byte   // the current line, valid until the next read
	last       []string // per column: the last string made, reused when equal
	sawData    bool     // a data line was returned (see strayHeader)
	long       []byte
	done       bool
	charset    Charset   // how the input is decoded (after decodeInput)
	conv       []byte    // a line converted to UTF-8
	bom        bool      // the input started with a UTF-8 BOM
	notes      []string  // file-level spellings the server would not read
	linted     bool      // notes reported (see lintFile)
	pool       sync.Pool // recycled tokens (see Recycle)
}

// bufSize is the read buffer of a reader: lines up to this long are read
// without a copy.
const bufSize = 64 << 10

func newRows(r io.Reader, file string, o Options) *rows {
	size := bufSize
	// An input in memory (strings.Reader, bytes.Reader, bytes.Buffer) that
	// is smaller needs no more: a short text costs a short buffer.
	if l, ok := r.(interface{ Len() int }); ok && l.Len() < size {
		size = max(l.Len()+1, 16)
	}
	rr := &rows{file: file}
	rr.br, rr.charset = decodeInput(bufio.NewReaderSize(r, size), o.Charset, size)
	if rr.charset == CharsetUTF16 || rr.charset == CharsetWindows1252 {
		rr.notes = append(rr.notes, "decoded from "+rr.charset.String()+": the server reads UTF-8 (tokenctl convert writes UTF-8)")
	}
	return rr
}

// text checks or converts a line to UTF-8 per the input's charset.
func (r *rows) text(b []byte) ([]byte, error) {
	if r.charset == CharsetWindows1252 {
		if isASCII(b) {
			return b, nil
		}
		out, bad, ok := from1252(r.conv, b)
		r.conv = out
		if !ok {
			return nil, r.errf("encoding", "byte %d (0x%02X) is not a Windows-1252 character: the file is in another encoding", bad+1, b[bad])
		}
		return out, nil
	}
	if utf8.Valid(b) {
		return b, nil
	}
	return nil, r.errf("encoding", "%s", notUTF8(b))
}

// lintFile adds, once, the file-level notes (separator, sep= line,
// encoding) as warnings when lint is set: spellings tokenctl reads but
// the server would not. bom: the server does not skip a UTF-8 BOM.
func (r *rows) lintFile(p *problems, lint, bom bool) {
	if !lint || r.linted {
		return
	}
	r.linted = true
	if bom && r.bom {
		p.warn("file", "starts with a UTF-8 BOM, which the server reads as part of the first line (tokenctl convert writes none)")
	}
	for _, n := range r.notes {
		p.warn("file", "%s", n)
	}
}

// delimName names a separator for a message.
func delimName(d byte) string {
	if d == '\t' {
		return "tabs"
	}
	return fmt.Sprintf("'%c'", d)
}

// errf is a FieldError at the current line.
func (r *rows) errf(field, format string, a ...any) *seed.FieldError {
	return &seed.FieldError{File: r.file, Line: r.line, Field: field, Msg: fmt.Sprintf(format, a...)}
}

// readLine returns the next physical line without its line ending.
func (r *rows) readLine() ([]byte, error) {
	if r.done {
		return nil, io.EOF
	}
	b, err := r.br.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		r.long = append(r.long[:0], b...)
		for err == bufio.ErrBufferFull {
			if len(r.long) > maxLine {
				// Skip the rest of the line.
				for err == bufio.ErrBufferFull {
					_, err = r.br.ReadSlice('\n')
				}
				r.line++
				if err == io.EOF {
					r.done = true
				}
				return nil, r.errf("line", "longer than %d bytes", maxLine)
			}
			b, err = r.br.ReadSlice('\n')
			r.long = append(r.long, b...)
		}
		b = r.long
		if len(b) > maxLine+2 { // the line end may take 2 bytes
			r.line++
			if err == io.EOF {
				r.done = true
			}
			return nil, r.errf("line", "longer than %d bytes", maxLine)
		}
	}
	if err == io.EOF {
		r.done = true
		if len(b) == 0 {
			return nil, io.EOF
		}
	} else if err != nil {
		var ue *utf16Error
		if errors.As(err, &ue) {
			// Not the UTF-16 it says: nothing more of it can be trusted.
			r.line++
			r.done = true
			return nil, &FileError{r.errf("encoding", "%s", ue.msg)}
		}
		return nil, fmt.Errorf("reading %s: %w", r.file, err)
	}
	r.line++
	if r.line == 1 && bytes.HasPrefix(b, []byte("\xef\xbb\xbf")) {
		b = b[3:]
		r.bom = true
	}
	if n := len(b); n > 0 && b[n-1] == '\n' {
		b = b[:n-1]
	}
	if n := len(b); n > 0 && b[n-1] == '\r' {
		b = b[:n-1]
	}
	if r.charset != CharsetWindows1252 && utf8.Valid(b) {
		return b, nil // the usual line, checked without a call
	}
	return r.text(b)
}

// next returns the cells of the next data line (blank and comment lines
// skipped). The cells point into the read buffer: they are valid until the
// next read, and a reader copies what it keeps (see str). No string is
// made of the line, so secret text does not linger in the heap.
func (r *rows) next() ([][]byte, error) {
	for {
		b, err := r.readLine()
		if err != nil {
			return nil, err
		}
		t := bytes.TrimSpace(b)
		if len(t) == 0 {
			continue
		}
		if r.line == 1 && r.delim == 0 {
			// Excel's "sep=;" line names the separator.
			if d, ok := sepLine(b); ok {
				r.delim = d
				r.notes = append(r.notes, "Excel's \"sep=\" first line: tokenctl reads it as the separator, the server would not (tokenctl convert leaves it out)")
				if d != ',' {
					r.notes = append(r.notes, fmt.Sprintf("cells separated by %s (Excel in a locale with a decimal comma): the server splits on ',' (tokenctl convert writes ',')", delimName(d)))
				}
				continue
			}
		}
		c := t
		if r.rawComment {
			c = b
		}
		if r.comment != nil && r.comment(c) {
			if r.onComment != nil {
				r.onComment(string(t))
			}
			continue
		}
		if r.delim == 0 {
			r.delim = detectDelim(b)
			if r.delim != ',' {
				r.notes = append(r.notes, fmt.Sprintf("cells separated by %s (Excel in a locale with a decimal comma): the server splits on ',' (tokenctl convert writes ',')", delimName(r.delim)))
			}
		}
		r.rawb = b
		return r.split(b)
	}
}

// record returns the cells of the next data line and its number. A
// headerless format skips, with a warning, a header line someone added
// (see strayHeader). Errors come with the line they are about (0 for a
// read error or the end): a reader returns them as they are.
func (r *rows) record(headerless bool) ([][]byte, int, error) {
	cells, err := r.next()
	if err != nil {
		return nil, r.errLine(err), err
	}
	if headerless {
		if err := strayHeader(r, cells); err != nil {
			return nil, r.line, err
		}
	}
	return cells, r.line, nil
}

// errLine is the line a reading error is about: the current one for a
// FieldError (an overlong line, a broken quote), 0 otherwise.
func (r *rows) errLine(err error) int {
	if _, ok := err.(*seed.FieldError); ok {
		return r.line
	}
	return 0
}

// str makes a string of cell i, reusing the previous line's string when
// the text is the same (manufacturer, model... repeat on every line).
func (r *rows) str(i int, b []byte) string {
	if len(b) == 0 {
		return ""
	}
	for len(r.last) <= i {
		r.last = append(r.last, "")
	}
	if r.last[i] == string(b) { // no allocation for the comparison
		return r.last[i]
	}
	s := string(b)
	r.last[i] = s
	return s
}

// detectDelim picks the most frequent of ',', ';' and tab outside quotes;
// ',' wins ties and is the default.
func detectDelim(s []byte) byte {
	var c, sc, tab int
	q := false
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '"':
			q = !q
		case ',':
			if !q {
				c++
			}
		case ';':
			if !q {
				sc++
			}
		case '\t':
			if !q {
				tab++
			}
		}
	}
	switch {
	case sc > c && sc >= tab:
		return ';'
	case tab > c && tab > sc:
		return '\t'
	}
	return ','
}

var errQuote = errors.New("unterminated quoted cell")

func (r *rows) split(s []byte) ([][]byte, error) {
	cells := r.cells[:0]
	r.unq = r.unq[:0]
	d := r.delim
	for {
		// Skip leading blanks to see whether the cell is quoted.
		i := 0
		for i < len(s) && (s[i] == ' ' || (s[i] == '\t' && d != '\t')) {
			i++
		}
		if i < len(s) && s[i] == '"' {
			start := len(r.unq)
			j := i + 1
			closed := false
			for j < len(s) {
				if s[j] == '"' {
					if j+1 < len(s) && s[j+1] == '"' {
						r.unq = append(r.unq, '"')
						j += 2
						continue
					}
					closed = true
					j++
					break
				}
				r.unq = append(r.unq, s[j])
				j++
			}
			if !closed {
				r.cells = cells
				return nil, r.errf("line", "%v", errQuote)
			}
			// Anything after the closing quote up to the delimiter must be blank.
			k := bytes.IndexByte(s[j:], d)
			rest := s[j:]
			if k >= 0 {
				rest = s[j : j+k]
			}
			if len(bytes.TrimSpace(rest)) != 0 {
				r.cells = cells
				return nil, r.errf("line", "text after a closing quote in cell %d", len(cells)+1)
			}
			// A full slice expression: appending later cells to unq must
			// not write into this one.
			cells = append(cells, bytes.TrimSpace(r.unq[start:len(r.unq):len(r.unq)]))
			if k < 0 {
				break
			}
			s = s[j+k+1:]
			continue
		}
		k := bytes.IndexByte(s, d)
		if k < 0 {
			cells = append(cells, bytes.TrimSpace(s))
			break
		}
		cells = append(cells, bytes.TrimSpace(s[:k]))
		s = s[k+1:]
	}
	r.cells = cells
	return cells, nil
}

// token returns v in a recycled Token when there is one. The recycled
// Token's secret buffer is kept in spare for decodeBase32Into.
func (r *rows) token(v seed.Token) (t *seed.Token, spare []byte) {
	if x, ok := r.pool.Get().(*seed.Token); ok {
		spare = x.Secret[:0]
		*x = v
		return x, spare
	}
	t = new(seed.Token)
	*t = v
	return t, nil
}

// Recycle hands back a token the caller is done with, so the reader can
// reuse its memory for a later line: the caller must not use t after.
// The secret is zeroed at once. Optional: tokens not handed back are
// simply collected.
func (r *rows) Recycle(t *seed.Token) {
	seed.Zero(t.Secret)
	seed.Zero(t.PrivateID)
	*t = seed.Token{Secret: t.Secret[:0]}
	r.pool.Put(t)
}

// TextChecked reports that every line this reader returns is UTF-8
// (converted from the input's charset, or refused): its tokens' text
// needs no further check.
func (r *rows) TextChecked() bool { return true }

// Raw is the last line read, as it was (for a rejects file); call it
// before the next Read.
func (r *rows) Raw() string { return string(r.rawb) }

// hashComment is the comment rule of formats where '#' starts a comment.
func hashComment(line []byte) bool { return len(line) > 0 && line[0] == '#' }

// normHeader folds a header name for comparison: lower case, without
// spaces, underscores, dashes and dots ("Time Interval" = "timeinterval").
func normHeader(s string) string {
	var b strings.Builder
	for _, c := range strings.ToLower(strings.TrimSpace(s)) {
		switch c {
		case ' ', '_', '-', '.', '\t':
			continue
		}
		b.WriteRune(c)
	}
	return b.String()
}

// quoteCell quotes a cell for a comma-separated line when it needs it.
func quoteCell(s string) string {
	if !strings.ContainsAny(s, ",\"\r\n;\t") && strings.TrimSpace(s) == s {
		return s
	}
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}
