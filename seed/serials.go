package seed

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// MaxGenerate bounds the tokens of one Generator and the serials
// ReadSerials accepts.
const MaxGenerate = 10_000_000

// SerialRuneOK limits serials to what every seed-file format carries
// without quoting: letters, digits and . _ - / :.
func SerialRuneOK(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("._-/:", r)
}

// looksLikeExponent recognises 1.00013E+12 style numbers.
func looksLikeExponent(s string) bool {
	if _, err := strconv.ParseFloat(s, 64); err != nil {
		return false
	}
	return strings.ContainsAny(s, "Ee")
}

// ReadSerials reads a serials file (path "-": stdin): one a line, blank
// lines and '#' comments skipped, BOM and CRLF tolerated, each unique and
// made of SerialRuneOK characters. Every problem (up to 100) is reported
// as file:line: serial: what is wrong, never repeating a line that is not
// a serial (given a seed file by mistake, it would print the seeds).
func ReadSerials(path string, stdin io.Reader) ([]string, error) {
	r, name := stdin, "standard input"
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r, name = f, path
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	var (
		out   []string
		probs []string
		seen  = map[string]int{}
		line  int
	)
	bad := func(format string, a ...any) {
		if len(probs) < 100 {
			probs = append(probs, fmt.Sprintf("%s:%d: serial: ", name, line)+fmt.Sprintf(format, a...))
		}
	}
	for sc.Scan() {
		line++
		b := sc.Bytes()
		if line == 1 {
			b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
		}
		s := strings.TrimSpace(string(b))
		if s == "" || s[0] == '#' {
			continue
		}
		badRune := strings.IndexFunc(s, func(r rune) bool { return !SerialRuneOK(r) })
		switch {
		case len(s) > 128:
			bad("%d characters, at most 128", len(s))
			continue
		case looksLikeExponent(s):
			bad("%q looks damaged by a spreadsheet (a number in exponent form)", s)
			continue
		case badRune >= 0:
			hint := ""
			if strings.ContainsAny(s, ",;\t") || len(s) > 32 {
				hint = " (--serials takes one serial a line: is this a seed file?)"
			}
			bad("a line of %d characters with %q in it: only letters, digits and . _ - / : are allowed%s", len(s), []rune(s[badRune:])[0], hint)
			continue
		}
		if first, dup := seen[s]; dup {
			bad("%s appears again (first on line %d)", s, first)
			continue
		}
		seen[s] = line
		out = append(out, s)
		if len(out) > MaxGenerate {
			return nil, fmt.Errorf("%s: more than %d serials", name, MaxGenerate)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading %s: %w", name, err)
	}
	if len(probs) > 0 {
		return nil, errors.New(strings.Join(probs, "\n"))
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no serials", name)
	}
	return out, nil
}

// SerialPattern numbers serials: Prefix, then Start+i in decimal,
// zero-padded to Width digits (TK00001, TK00002...).
type SerialPattern struct {
	Prefix string
	Start  uint64
	Width  int
}

// Check reports a pattern that cannot number count serials. The error
// names the field at fault ("prefix", "start", "width") first.
func (p SerialPattern) Check(count int) error {
	if p.Width < 0 || p.Width > 40 {
		return fmt.Errorf("width %d: want 0..40", p.Width)
	}
	if count < 0 || p.Start > ^uint64(0)-uint64(count) {
		return fmt.Errorf("start %d: numbering would overflow", p.Start)
	}
	if strings.IndexFunc(p.Prefix, func(r rune) bool { return !SerialRuneOK(r) }) >= 0 {
		return fmt.Errorf("prefix %q: only letters, digits and . _ - / : are allowed in serials", p.Prefix)
	}
	return nil
}

// Serial is the i-th serial (from 0).
func (p SerialPattern) Serial(i int) string {
	num := strconv.FormatUint(p.Start+uint64(i), 10)
	if len(num) < p.Width {
		num = strings.Repeat("0", p.Width-len(num)) + num
	}
	return p.Prefix + num
}

// Generator is a Reader of Count fresh tokens: copies of Proto with a
// secret of Bytes random bytes (Generate) and the serials Serials lists,
// or else those Pattern numbers. It streams them, so that a write pipeline
// stays in flat memory whatever Count is.
type Generator struct {
	Proto   Token
	Bytes   int
	Count   int
	Serials []string
	Pattern SerialPattern

	i   int
	err error
}

// Serial is the serial of the i-th token (from 0).
func (g *Generator) Serial(i int) string {
	if g.Serials != nil {
		return g.Serials[i]
	}
	return g.Pattern.Serial(i)
}

// Read returns the next token, numbered from 1.
func (g *Generator) Read() (*Token, int, error) {
	if g.i >= g.Count {
		return nil, 0, io.EOF
	}
	secret, err := Generate(g.Bytes)
	if err != nil {
		// Not a row problem: the pipeline stops, nothing is written.
		g.err = err
		return nil, 0, err
	}
	t := g.Proto
	t.Serial = g.Serial(g.i)
	t.Secret = secret
	g.i++
	return &t, g.i, nil
}

// Err is nil when every token asked for was generated; otherwise why not.
func (g *Generator) Err() error {
	if g.err == nil && g.i != g.Count {
		return fmt.Errorf("wrote %d of %d tokens", g.i, g.Count)
	}
	return g.err
}
