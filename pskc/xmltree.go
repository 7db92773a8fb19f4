package pskc

import (
	"bufio"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
)

// MaxSize is the largest PSKC file a Reader accepts: 256 MiB, room for
// about 280,000 encrypted keys as tokenctl writes them (a plain key takes
// about 600 bytes, an encrypted one 900). The Reader streams, so memory
// does not grow with the file; the bound stops an endless or absurd input
// (a device, a runaway pipe) with ErrTooLarge instead of reading on.
const MaxSize = 256 << 20

// maxDepth bounds element nesting inside one KeyPackage or header element.
const maxDepth = 48

// ErrTooLarge: the input is larger than MaxSize.
var ErrTooLarge = fmt.Errorf("file larger than %d MiB", MaxSize>>20)

// node is one element of a small, namespace-free XML tree: PSKC files come
// in several namespaces (RFC 6030, the drafts, odd prefixes), so elements
// are matched by local name, as python-pskc does.
type node struct {
	name string
	attr []xml.Attr
	text string // character data before the first child (as python-pskc reads it)
	buf  []byte // text while the element is read (appended: linear, however many pieces)
	kids []*node
	line int
}

// get returns an attribute by local name, compared case-insensitively.
func (n *node) get(names ...string) string {
	if n == nil {
		return ""
	}
	for _, want := range names {
		for _, a := range n.attr {
			if strings.EqualFold(a.Name.Local, want) {
				return a.Value
			}
		}
	}
	return ""
}

// has reports whether an attribute is present.
func (n *node) has(name string) bool {
	if n == nil {
		return false
	}
	for _, a := range n.attr {
		if strings.EqualFold(a.Name.Local, name) {
			return true
		}
	}
	return false
}

// find follows a slash-separated path of local names; the first match of
// any of the paths wins.
func (n *node) find(paths ...string) *node {
	for _, p := range paths {
		if m := n.findPath(p); m != nil {
			return m
		}
	}
	return nil
}

func (n *node) findPath(path string) *node {
	if n == nil {
		return nil
	}
	if path == "" {
		return n
	}
	first, rest, _ := strings.Cut(path, "/")
	for _, k := range n.kids {
		if k.name == first {
			if m := k.findPath(rest); m != nil {
				return m
			}
		}
	}
	return nil
}

// all returns the children with the given local name.
func (n *node) all(name string) []*node {
	if n == nil {
		return nil
	}
	var out []*node
	for _, k := range n.kids {
		if k.name == name {
			out = append(out, k)
		}
	}
	return out
}

// textOf is the trimmed text of the element at path, and whether it exists.
func (n *node) textOf(paths ...string) (string, bool) {
	m := n.find(paths...)
	if m == nil {
		return "", false
	}
	return strings.TrimSpace(m.text), true
}

// limitReader counts bytes and fails past MaxSize.
type limitReader struct {
	r   io.Reader
	n   int64
	max int64
}

func (l *limitReader) Read(p []byte) (int, error) {
	if l.n > l.max {
		return 0, ErrTooLarge
	}
	if int64(len(p)) > l.max+1-l.n {
		p = p[:l.max+1-l.n]
	}
	k, err := l.r.Read(p)
	l.n += int64(k)
	if l.n > l.max {
		return k, ErrTooLarge
	}
	return k, err
}

// newDecoder wraps r: size limit, UTF-8 BOM skipped, Latin-1 and ASCII
// declarations accepted; DTDs are refused by the caller.
func newDecoder(r io.Reader, max int64) *xml.Decoder {
	br := bufio.NewReaderSize(&limitReader{r: r, max: max}, 64<<10)
	if b, err := br.Peek(3); err == nil && bytes.Equal(b, []byte{0xEF, 0xBB, 0xBF}) {
		br.Discard(3)
	}
	d := xml.NewDecoder(br)
	d.Strict = true
	d.CharsetReader = func(label string, in io.Reader) (io.Reader, error) {
		switch strings.ToLower(label) {
		case "iso-8859-1", "latin1", "latin-1", "iso8859-1", "us-ascii", "ascii":
			return &latin1Reader{r: bufio.NewReader(in)}, nil
		}
		return nil, fmt.Errorf("unsupported character encoding %q (want UTF-8)", label)
	}
	return d
}

// latin1Reader turns ISO-8859-1 into UTF-8.
type latin1Reader struct {
	r   *bufio.Reader
	buf []byte
}

func (l *latin1Reader) Read(p []byte) (int, error) {
	for len(l.buf) == 0 {
		c, err := l.r.ReadByte()
		if err != nil {
			return 0, err
		}
		if c < 0x80 {
			l.buf = append(l.buf, c)
		} else {
			l.buf = append(l.buf, 0xC0|c>>6, 0x80|c&0x3F)
		}
	}
	n := copy(p, l.buf)
	l.buf = l.buf[n:]
	return n, nil
}

// syntaxError converts a decoder error into a message with its line.
func syntaxError(d *xml.Decoder, err error) (int, string, error) {
	line, _ := d.InputPos()
	if errors.Is(err, ErrTooLarge) {
		return line, ErrTooLarge.Error(), ErrTooLarge
	}
	var se *xml.SyntaxError
	if errors.As(err, &se) {
		msg := se.Msg
		if err == io.ErrUnexpectedEOF || strings.Contains(msg, "unexpected EOF") {
			msg = "unexpected end of file"
		}
		return se.Line, "not well-formed XML: " + msg, err
	}
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return line, "not well-formed XML: unexpected end of file", err
	}
	return line, "not well-formed XML: " + err.Error(), err
}

// token reads the next token, refusing DTDs (and so any entity
// declaration: encoding/xml never resolves external entities, and a
// PSKC file has no use for a DOCTYPE).
//
// It uses RawToken (no namespace translation, which PSKC matching by local
// name does not need, and faster); callers check that end tags
// match (readTree and the Reader's root handling do).
func token(d *xml.Decoder) (xml.Token, error) {
	t, err := d.RawToken()
	if err != nil {
		return nil, err
	}
	if dir, ok := t.(xml.Directive); ok {
		return nil, &xml.SyntaxError{Msg: "DOCTYPE and other <!…> declarations are not allowed in PSKC (" + firstWord(dir) + ")", Line: lineOf(d)}
	}
	return t, nil
}

func firstWord(b []byte) string {
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return "<!>"
	}
	w := f[0]
	if len(w) > 20 {
		w = w[:20]
	}
	return "<!" + w
}

func lineOf(d *xml.Decoder) int {
	l, _ := d.InputPos()
	return l
}

// readTree reads the element whose start tag was just returned, with its
// whole subtree.
func readTree(d *xml.Decoder, start xml.StartElement) (*node, error) {
	root := &node{name: start.Name.Local, attr: start.Attr, line: lineOf(d)}
	stack := []*node{root}
	names := []xml.Name{start.Name}
	for {
		t, err := token(d)
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return nil, err
		}
		cur := stack[len(stack)-1]
		switch t := t.(type) {
		case xml.StartElement:
			if len(stack) >= maxDepth {
				return nil, &xml.SyntaxError{Msg: fmt.Sprintf("elements nested more than %d deep", maxDepth), Line: lineOf(d)}
			}
			n := &node{name: t.Name.Local, attr: t.Attr, line: lineOf(d)}
			cur.kids = append(cur.kids, n)
			stack = append(stack, n)
			names = append(names, t.Name)
		case xml.EndElement:
			if want := names[len(names)-1]; t.Name != want {
				return nil, &xml.SyntaxError{Msg: "element <" + rawName(want) + "> closed by </" + rawName(t.Name) + ">", Line: lineOf(d)}
			}
			names = names[:len(names)-1]
			cur.text, cur.buf = string(cur.buf), nil
			stack = stack[:len(stack)-1]
			if len(stack) == 0 {
				return root, nil
			}
		case xml.CharData:
			// Only text before the first child counts; leading white
			// space is dropped (values are trimmed anyway), which spares
			// an allocation for the indentation of every parent element.
			// Comments and processing instructions split text into many
			// pieces: they are appended to one buffer, never re-copied
			// (string += made a 4 MB file of comments take a minute).
			if len(cur.kids) > 0 || len(cur.buf) == 0 && len(bytes.TrimSpace(t)) == 0 {
				break
			}
			cur.buf = append(cur.buf, t...)
		}
	}
}

// rawName writes a raw (untranslated) name as it appears in the file.
func rawName(n xml.Name) string {
	if n.Space != "" {
		return n.Space + ":" + n.Local
	}
	return n.Local
}
