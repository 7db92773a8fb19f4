package csvfmt

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"github.com/tokenctl/tokenctl/seed"
	"github.com/tokenctl/tokenctl/targets"
)

// privacyIDEA OATH CSV: "serial, seed, TOTP, digits, step" or
// "serial, seed, HOTP, digits, counter", hex seeds. privacyIDEA (see
// targets.Lookup("privacyidea") for the source) skips every line whose
// first character is '#', and a first line "# version: 2" makes every
// line start with user, resolver, realm. It has no hash column: it infers
// the hash from the seed length (targets.PrivacyIDEAHash). The reader
// reports what privacyIDEA would import; the writer refuses tokens that
// privacyIDEA would infer wrong (a 32-byte SHA-1 seed, a 20-byte SHA-256
// seed) and lines it would skip (a serial, or in version 2 a user, that
// starts with '#').
//
// The writer writes version 2 (with the user columns) when the first
// token has a user or a "realm" or "resolver" label, version 1 otherwise.

// PrivacyIDEAHash is the hash privacyIDEA assumes for a seed of n bytes,
// and the name of a hash tokenctl cannot represent (SHA-224, SHA-384).
func PrivacyIDEAHash(n int) (seed.Hash, string) { return targets.PrivacyIDEAHash(n) }

var piVersion = regexp.MustCompile(`(?i)^#\s*version\s*:\s*(\d+)`)

func privacyIDEAFormat() Format {
	return Format{
		Name:         "privacyidea",
		Aliases:      []string{"pi"},
		Summary:      "privacyIDEA OATH CSV: serial, seed, TOTP|HOTP, digits, step|counter ('# version: 2' adds user, resolver, realm); hash from seed length",
		Encoding:     seed.Hex,
		TOTPSettings: true, // step column; hash from the seed length, as privacyIDEA imports it
		// Not appendable: whether a line carries the user columns depends
		// on the file's first lines, so appends rewrite the file.
		Open: func(r io.Reader, file string, o Options) seed.Reader {
			pr := &piReader{rows: newRows(r, file, o), o: o}
			pr.rows.comment = hashComment
			pr.rows.rawComment = true
			pr.rows.onComment = func(l string) {
				// privacyIDEA looks for the version on the first line only.
				if pr.rows.line != 1 {
					return
				}
				if m := piVersion.FindStringSubmatch(l); m != nil {
					pr.version, _ = strconv.Atoi(m[1])
				}
			}
			return pr
		},
		Create: func(w io.Writer, o Options) seed.Writer {
			return &piWriter{w: bufio.NewWriterSize(w, 64<<10), first: !o.Append}
		},
		Sniff: func(head []byte) bool {
			l := firstLine(head)
			if piVersion.Match(l) {
				return true
			}
			c := splitSimple(l, ',')
			if len(c) < 3 || len(c) > 5 {
				return false
			}
			k := strings.ToLower(string(c[2]))
			return (k == "totp" || k == "hotp") && isHex(c[1])
		},
	}
}

type piReader struct {
	*rows
	o       Options
	version int
}

func (r *piReader) Read() (*seed.Token, int, error) {
	// In version 2 the first column is a user name, not a serial.
	cells, line, err := r.rows.record(r.version != 2)
	if err != nil {
		return nil, line, err
	}
	p := problems{file: r.rows.file, line: r.rows.line}
	if r.o.Lint {
		r.rows.lintFile(&p, true, true)
	}
	t, spare := r.token(seed.Token{Hash: seed.SHA1, Kind: seed.HOTP, Digits: 6})
	if r.version == 2 {
		if len(cells) < 5 || len(cells) > 8 {
			p.add("columns", "%d columns, want user, resolver, realm, serial, seed[, type, digits, step|counter]", len(cells))
			return nil, p.line, p.err()
		}
		t.User = r.str(0, cells[0])
		if len(cells[1]) > 0 {
			t.SetLabel("resolver", r.str(1, cells[1]))
		}
		if len(cells[2]) > 0 {
			t.SetLabel("realm", r.str(2, cells[2]))
		}
		cells = cells[3:]
	} else if len(cells) < 2 || len(cells) > 5 {
		p.add("columns", "%d columns, want serial, seed[, type, digits, step|counter]", len(cells))
		return nil, p.line, p.err()
	}
	t.Serial = string(cells[0])
	enc := r.o.encoding(seed.Hex)
	t.Secret = decodeSecret(&p, "seed", cells[1], enc, spare)
	if len(t.Secret) > 0 {
		var other string
		t.Hash, other = PrivacyIDEAHash(len(t.Secret))
		if other != "" {
			p.add("seed", "%d bytes: privacyIDEA imports this seed as %s (it infers the hash from the seed length), which tokenctl cannot convert", len(t.Secret), other)
		}
	}
	if len(cells) > 2 {
		readKind(&p, "type", cells[2], &t.Kind)
	}
	if len(cells) > 3 {
		readDigits(&p, "digits", cells[3], &t.Digits)
	}
	if len(cells) > 4 && len(cells[4]) > 0 {
		if t.Kind == seed.TOTP {
			cellInt(&p, "step", cells[4], 1, 86400, &t.Period)
		} else {
			readCounter(&p, "counter", cells[4], &t.Counter)
		}
	}
	return t, p.line, p.err()
}

// readKind parses a "hotp"/"totp" cell (any case) into *dst; empty keeps
// dst.
func readKind[T text](p *problems, field string, s T, dst *seed.Kind) {
	switch {
	case len(s) == 0:
	case equalFold(s, "hotp"):
		*dst = seed.HOTP
	case equalFold(s, "totp"):
		*dst = seed.TOTP
	default:
		p.add(field, "%q (want hotp or totp: only OATH tokens are converted)", clip(s))
	}
}

// equalFold is strings.EqualFold for a cell and a lower-case ASCII word,
// without making a string of the cell.
func equalFold[T text](s T, word string) bool {
	if len(s) != len(word) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i]|0x20 != word[i] {
			return false
		}
	}
	return true
}

// readCounter parses an HOTP counter cell into *dst.
func readCounter[T text](p *problems, field string, s T, dst *uint64) {
	n, ok := parseUint(s)
	if !ok {
		p.add(field, "%q is not a counter value", clip(s))
		return
	}
	*dst = n
}

func readDigits[T text](p *problems, field string, s T, dst *int) {
	if len(s) == 0 {
		return
	}
	if len(s) != 1 || (s[0] != '6' && s[0] != '8') {
		p.add(field, "%q (want 6 or 8)", clip(s))
		return
	}
	*dst = int(s[0] - '0')
}

type piWriter struct {
	w       *bufio.Writer
	first   bool
	version int
}

func (pw *piWriter) Write(t *seed.Token) error {
	if t.Kind != seed.HOTP && t.Kind != seed.TOTP {
		return fmt.Errorf("privacyidea: %s tokens do not go in an OATH CSV", t.Kind)
	}
	if why := PrivacyIDEAMismatch(t); why != "" {
		return fmt.Errorf("privacyidea: %s", why)
	}
	if pw.first {
		pw.first = false
		if t.User != "" || t.Label("realm") != "" || t.Label("resolver") != "" {
			pw.version = 2
			pw.w.WriteString("# version: 2\n")
		}
	}
	// Everything is checked before the first byte of the line is written.
	cols := []string{t.User, t.Label("resolver"), t.Label("realm")}
	if pw.version == 2 {
		if strings.HasPrefix(t.User, "#") {
			return fmt.Errorf("privacyidea: a user starting with '#' makes the line a comment, which privacyIDEA skips")
		}
		for _, c := range cols {
			if why := PlainSerial(c); why != "" {
				return fmt.Errorf("user, resolver or realm %s", why)
			}
		}
	} else if t.User != "" || cols[1] != "" || cols[2] != "" {
		return fmt.Errorf("privacyidea: the file has no user columns (its first token has no user, resolver or realm), so this token's would be lost: write tokens with users first, or in a file of their own")
	}
	if why := PlainSerial(t.Serial); why != "" {
		return fmt.Errorf("serial %s", why)
	}
	if pw.version != 2 && strings.HasPrefix(t.Serial, "#") {
		return fmt.Errorf("privacyidea: %s", PrivacyIDEACommentSerial)
	}
	if pw.version == 2 {
		for _, c := range cols {
			pw.w.WriteString(c + ", ")
		}
	}
	pw.w.WriteString(t.Serial)
	pw.w.WriteString(", ")
	pw.w.Write(appendHexUpper(pw.w.AvailableBuffer(), t.Secret))
	if t.Kind == seed.TOTP {
		fmt.Fprintf(pw.w, ", TOTP, %d, %d\n", t.EffectiveDigits(), t.EffectivePeriod())
	} else {
		fmt.Fprintf(pw.w, ", HOTP, %d, %d\n", t.EffectiveDigits(), t.Counter)
	}
	return nil
}

func (pw *piWriter) Close() error { return pw.w.Flush() }

// PrivacyIDEACommentSerial says why a serial starting with '#' cannot be
// written first on a privacyIDEA line.
const PrivacyIDEACommentSerial = "a serial starting with '#' makes the line a comment, which privacyIDEA skips: the token would be lost"

// PrivacyIDEAMismatch says why privacyIDEA would import t with another
// hash than t's (it infers the hash from the seed length): "" when it
// would not.
func PrivacyIDEAMismatch(t *seed.Token) string {
	if len(t.Secret) == 0 {
		return ""
	}
	g, other := PrivacyIDEAHash(len(t.Secret))
	switch {
	case other != "":
		return fmt.Sprintf("%s with a %d-byte seed: privacyIDEA infers the hash from the seed length and would import it as %s", t.Hash, len(t.Secret), other)
	case g != t.Hash:
		return fmt.Sprintf("%s with a %d-byte seed: privacyIDEA infers the hash from the seed length and would import it as %s", t.Hash, len(t.Secret), g)
	}
	return ""
}

// LinOTP OATH CSV: "serial, key, hotp|totp, 6|8, 30|60, sha1|sha256|sha512"
// with hex keys. LinOTP (see targets.Lookup("linotp") for the source)
// skips a line whose serial cell is exactly "#" and a line without a key;
// a serial such as "#12" on a line with a key is a token. A line without a
// hash gets one inferred from the key length (targets.LinOTPHash). The
// format has no counter column: HOTP tokens start at 0.

func linOTPFormat() Format {
	return Format{
		Name:         "linotp",
		Summary:      "LinOTP OATH CSV: serial, key, hotp|totp, 6|8, 30|60, sha1|sha256|sha512 (no counter column)",
		Encoding:     seed.Hex,
		Appendable:   true,
		TOTPSettings: true, // step and hash columns
		Open: func(r io.Reader, file string, o Options) seed.Reader {
			lr := &linReader{rows: newRows(r, file, o), o: o}
			lr.rows.comment = linOTPComment
			return lr
		},
		Create: func(w io.Writer, o Options) seed.Writer { return &linWriter{w: bufio.NewWriterSize(w, 64<<10)} },
		Sniff: func(head []byte) bool {
			c := splitSimple(firstLine(head), ',')
			if len(c) != 6 {
				return false
			}
			_, err := seed.ParseHash(string(c[5]))
			return err == nil && isHex(c[1])
		},
	}
}

type linReader struct {
	*rows
	o Options
}

func (r *linReader) Read() (*seed.Token, int, error) {
	cells, line, err := r.rows.record(true)
	if err != nil {
		return nil, line, err
	}
	p := problems{file: r.rows.file, line: r.rows.line}
	if r.o.Lint {
		r.rows.lintFile(&p, true, true)
	}
	if len(cells) < 2 || len(cells) > 6 {
		p.add("columns", "%d columns, want serial, key[, hotp|totp, digits, step, hash]", len(cells))
		return nil, p.line, p.err()
	}
	t, spare := r.token(seed.Token{Serial: string(cells[0]), Kind: seed.HOTP, Hash: seed.SHA1, Digits: 6})
	enc := r.o.encoding(seed.Hex)
	t.Secret = decodeSecret(&p, "key", cells[1], enc, spare)
	if len(cells) > 2 {
		readKind(&p, "type", cells[2], &t.Kind)
	}
	if len(cells) > 3 {
		readDigits(&p, "digits", cells[3], &t.Digits)
	}
	if len(cells) > 4 && t.Kind == seed.TOTP {
		cellInt(&p, "step", cells[4], 1, 86400, &t.Period)
	}
	if len(cells) > 5 && len(cells[5]) > 0 {
		h, err := seed.ParseHash(string(cells[5]))
		if err != nil {
			p.add("hash", "%q (want sha1, sha256 or sha512)", clip(cells[5]))
		}
		t.Hash = h
	} else if len(t.Secret) > 0 {
		// No hash on the line: LinOTP infers it from the key length.
		t.Hash, _ = targets.LinOTPHash(len(t.Secret))
	}
	return t, p.line, p.err()
}

// linOTPComment: LinOTP skips a line whose serial is "#"; a line that
// starts with '#' and has no second cell has no key and is skipped too.
func linOTPComment(line []byte) bool {
	if len(line) == 0 || line[0] != '#' {
		return false
	}
	first, _, more := bytes.Cut(line, []byte{','})
	return !more || len(bytes.TrimSpace(first)) == 1
}

type linWriter struct{ w *bufio.Writer }

func (lw *linWriter) Write(t *seed.Token) error {
	if t.Kind != seed.HOTP && t.Kind != seed.TOTP {
		return fmt.Errorf("linotp: %s tokens do not go in an OATH CSV", t.Kind)
	}
	if t.Kind == seed.HOTP && t.Counter != 0 {
		return fmt.Errorf("linotp: the CSV has no counter column; counter %d would be lost", t.Counter)
	}
	if t.Serial == "#" {
		return fmt.Errorf("linotp: the serial \"#\" makes the line a comment")
	}
	if why := PlainSerial(t.Serial); why != "" {
		return fmt.Errorf("serial %s", why)
	}
	lw.w.WriteString(t.Serial)
	lw.w.WriteString(", ")
	lw.w.Write(appendHexUpper(lw.w.AvailableBuffer(), t.Secret))
	fmt.Fprintf(lw.w, ", %s, %d, %d, %s\n", t.Kind, t.EffectiveDigits(), t.EffectivePeriod(), t.Hash)
	return nil
}

func (lw *linWriter) Close() error { return lw.w.Flush() }
