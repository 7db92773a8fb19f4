package csvfmt

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Charset is how the bytes of a text input encode characters. Excel on
// Windows saves "CSV UTF-8" (UTF-8 with a BOM), "CSV (comma delimited)"
// (the Windows code page, Windows-1252 in Western Europe) and "Unicode
// text" (UTF-16 LE with a BOM, tab-separated).
type Charset int

const (
	// CharsetAuto: UTF-16 when the input starts with a UTF-16 BOM, UTF-8
	// (with or without BOM) otherwise. A line that is not UTF-8 is refused
	// with a clear error: a code page cannot be told apart from another
	// (Windows-1252 from Windows-1250...) by its bytes, and a guess would
	// write mojibake.
	CharsetAuto Charset = iota
	CharsetUTF8
	// CharsetUTF16: UTF-16, little endian unless a BOM says otherwise.
	CharsetUTF16
	// CharsetWindows1252: Windows' Western European code page.
	CharsetWindows1252
)

func (c Charset) String() string {
	switch c {
	case CharsetUTF8:
		return "utf-8"
	case CharsetUTF16:
		return "utf-16"
	case CharsetWindows1252:
		return "windows-1252"
	}
	return "auto"
}

// ParseCharset parses auto, utf-8, utf-16 (utf-16le, unicode) or
// windows-1252 (cp1252), in any case.
func ParseCharset(s string) (Charset, error) {
	switch strings.ReplaceAll(strings.ToLower(strings.TrimSpace(s)), "_", "-") {
	case "", "auto":
		return CharsetAuto, nil
	case "utf-8", "utf8":
		return CharsetUTF8, nil
	case "utf-16", "utf16", "utf-16le", "utf16le", "unicode":
		return CharsetUTF16, nil
	case "windows-1252", "cp1252", "win1252", "1252":
		return CharsetWindows1252, nil
	}
	return CharsetAuto, fmt.Errorf("unknown text encoding %q (want auto, utf-8, utf-16 or windows-1252)", s)
}

// utf16BOM reports whether b starts with a UTF-16 byte order mark, and
// whether it is big endian.
func utf16BOM(b []byte) (ok, be bool) {
	switch {
	case len(b) >= 2 && b[0] == 0xff && b[1] == 0xfe:
		return true, false
	case len(b) >= 2 && b[0] == 0xfe && b[1] == 0xff:
		return true, true
	}
	return false, false
}

// SniffText returns the start of an input as UTF-8 for format detection:
// a UTF-16 head (with its BOM) is converted, up to its last whole
// character; anything else is returned as it is.
func SniffText(head []byte) []byte {
	ok, be := utf16BOM(head)
	if !ok {
		return head
	}
	u := &utf16Reader{r: bufio.NewReader(bytes.NewReader(head[2:])), be: be}
	out, _ := io.ReadAll(u)
	return out
}

// decodeInput wraps r so that it yields UTF-8 when it holds UTF-16 (a BOM
// in auto mode, or CharsetUTF16); other inputs are returned as they are.
func decodeInput(br *bufio.Reader, cs Charset, size int) (*bufio.Reader, Charset) {
	if cs != CharsetAuto && cs != CharsetUTF16 {
		return br, cs
	}
	head, _ := br.Peek(2)
	ok, be := utf16BOM(head)
	switch {
	case ok:
		br.Discard(2)
	case cs != CharsetUTF16:
		return br, cs
	}
	return bufio.NewReaderSize(&utf16Reader{r: br, be: be}, max(size, 4<<10)), CharsetUTF16
}

// utf16Reader converts UTF-16 to UTF-8 as it is read. An unpaired
// surrogate or an odd number of bytes is an error: the input is not what
// it says.
type utf16Reader struct {
	r   *bufio.Reader
	be  bool
	buf []byte
	out []byte
	err error
	n   int64 // bytes consumed, for errors
}

func (u *utf16Reader) Read(p []byte) (int, error) {
	for len(u.out) == 0 {
		if u.err != nil {
			return 0, u.err
		}
		u.fill()
	}
	n := copy(p, u.out)
	u.out = u.out[n:]
	return n, nil
}

func (u *utf16Reader) unit() (uint16, error) {
	a, err := u.r.ReadByte()
	if err != nil {
		return 0, err
	}
	b, err := u.r.ReadByte()
	if err == io.EOF {
		return 0, &utf16Error{fmt.Sprintf("not UTF-16: an odd number of bytes (%d)", u.n+3)}
	}
	if err != nil {
		return 0, err
	}
	u.n += 2
	if u.be {
		return uint16(a)<<8 | uint16(b), nil
	}
	return uint16(b)<<8 | uint16(a), nil
}

func (u *utf16Reader) fill() {
	buf := u.buf[:0]
	for len(buf) < 4<<10 {
		a, err := u.unit()
		if err != nil {
			u.err = err
			break
		}
		r := rune(a)
		switch {
		case utf16.IsSurrogate(r) && a < 0xdc00:
			b, err := u.unit()
			switch {
			case err == nil && (b < 0xdc00 || b > 0xdfff), err == io.EOF:
				u.err = &utf16Error{fmt.Sprintf("not UTF-16: unpaired surrogate (byte %d)", u.n)}
				return
			case err != nil:
				u.err = err
				return
			}
			r = utf16.DecodeRune(r, rune(b))
		case utf16.IsSurrogate(r):
			u.err = &utf16Error{fmt.Sprintf("not UTF-16: unpaired surrogate (byte %d)", u.n)}
			return
		}
		buf = utf8.AppendRune(buf, r)
	}
	u.buf, u.out = buf, buf
}

// utf16Error: the input is not the UTF-16 it says it is.
type utf16Error struct{ msg string }

func (e *utf16Error) Error() string { return e.msg }

// cp1252 maps the bytes 0x80-0x9f of Windows-1252 to Unicode (0 where the
// code page leaves a byte undefined); 0xa0-0xff are Latin-1.
var cp1252 = [32]rune{
	0x20ac, 0, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021, 0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017d, 0,
	0, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0, 0x017e, 0x0178,
}

// from1252 converts a Windows-1252 line to UTF-8 into dst; ok is false at
// a byte the code page does not define (the file is then not
// Windows-1252), with its position.
func from1252(dst, b []byte) (out []byte, bad int, ok bool) {
	out = dst[:0]
	for i, c := range b {
		switch {
		case c < 0x80:
			out = append(out, c)
		case c < 0xa0:
			r := cp1252[c-0x80]
			if r == 0 {
				return out, i, false
			}
			out = utf8.AppendRune(out, r)
		default:
			out = utf8.AppendRune(out, rune(c))
		}
	}
	return out, 0, true
}

// isASCII reports whether b has only 7-bit bytes.
func isASCII(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 {
			return false
		}
	}
	return true
}

// notUTF8 is the message for a line that is not UTF-8 in auto or UTF-8
// mode: where, and what to do.
func notUTF8(b []byte) string {
	i := 0
	for i < len(b) {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n <= 1 {
			break
		}
		i += n
	}
	return fmt.Sprintf("not UTF-8 (byte %d): the file is in a Windows code page (Excel's \"CSV (comma delimited)\"); give --encoding windows-1252 if it is Western European, or save it from Excel as \"CSV UTF-8\"", i+1)
}

// sepLine reports whether a first line is Excel's "sep=X" line, and X.
func sepLine(b []byte) (byte, bool) {
	t := bytes.TrimSpace(b)
	if len(t) == 5 && bytes.EqualFold(t[:4], []byte("sep=")) {
		return t[4], true
	}
	if len(t) == 4 && bytes.EqualFold(t, []byte("sep=")) && len(b) > 4 && b[4] == '\t' {
		return '\t', true
	}
	return 0, false
}
