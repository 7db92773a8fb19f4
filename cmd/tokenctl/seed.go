package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/mattn/go-isatty"
	"github.com/spf13/cobra"

	"github.com/tokenctl/tokenctl/convert"
	"github.com/tokenctl/tokenctl/internal/exitcode"
	"github.com/tokenctl/tokenctl/seed"
)

func newSeedCmd(f *factory) *cobra.Command {
	c := &cobra.Command{
		Use:     "seed",
		Short:   "Create token seeds",
		Example: `  tokenctl seed generate --count 100 --serial-prefix TK --serial-width 5 --to duo -o duo.csv`,
	}
	c.AddCommand(newSeedGenerateCmd(f))
	return c
}

// maxGenerate bounds one run of seed generate.
const maxGenerate = 10_000_000

type seedGenerate struct {
	count        int
	bytes        int
	hash         string
	kind         string
	period       int
	digits       int
	counter      uint64
	serials      string
	prefix       string
	start        uint64
	width        int
	manufacturer string
	model        string
	to           string
	out          string
	force        bool
	pskc         func(o *convert.Options) error
}

func newSeedGenerateCmd(f *factory) *cobra.Command {
	var g seedGenerate
	c := &cobra.Command{
		Use:   "generate --count N (--serials FILE | --serial-prefix P) --to FORMAT [-o OUT]",
		Short: "Generate random OATH seeds for a list of serials and write them as a seed file",
		Long: `Generate new OATH seeds from the system's cryptographic random source
(crypto/rand) and write them in any writable seed-file format, checked
against that format's rules first (Duo takes SHA-1 only, Entra TOTP only,
and so on): nothing is written when a rule is broken.

Secrets are 20 bytes for SHA-1, 32 for SHA-256 and 64 for SHA-512 unless
--bytes says otherwise. Serials come one a line from --serials FILE (blank
lines and '#' comments skipped; each must be unique), or are numbered:
--serial-prefix P --serial-start N [--serial-width W] gives P00001, P00002...

The output file (-o) is created mode 0600 through a temporary file and a
rename, and an existing file is never replaced without --force: it may hold
the only copy of seeds already burned into tokens. Seeds are not printed on
a terminal without --force.`,
		Example: `  # 50 SHA-1 TOTP seeds for Duo, serials TK00001..TK00050
  tokenctl seed generate --count 50 --serial-prefix TK --serial-width 5 --to duo -o duo-totp6.csv
  # seeds for the serials printed on a box of tokens, as an Entra CSV
  tokenctl seed generate --serials box-17.txt --to entra --period 60 --manufacturer Token2 --model c202 -o entra.csv
  # 8-digit SHA-256 HOTP seeds as privacyIDEA CSV, piped on
  tokenctl seed generate --count 10 --serial-prefix OATH --kind hotp --hash sha256 --digits 8 --to privacyidea | gpg -e -r admin`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error { return g.run(f, c) },
	}
	fl := c.Flags()
	fl.IntVar(&g.count, "count", 0, "how many seeds (with --serials: defaults to the number of serials)")
	fl.IntVar(&g.bytes, "bytes", 0, "secret length in bytes (default 20 for sha1, 32 for sha256, 64 for sha512)")
	fl.StringVar(&g.hash, "hash", "sha1", "HMAC hash: sha1, sha256 or sha512")
	fl.StringVar(&g.kind, "kind", "totp", "token kind: totp or hotp")
	fl.IntVar(&g.period, "period", 30, "TOTP time step: 30 or 60 seconds")
	fl.IntVar(&g.digits, "digits", 6, "code length: 6 or 8")
	fl.Uint64Var(&g.counter, "counter", 0, "HOTP: initial counter of every token")
	fl.StringVar(&g.serials, "serials", "", "file of serial numbers, one a line")
	fl.StringVar(&g.prefix, "serial-prefix", "", "number serials PREFIX<n> instead of reading --serials")
	fl.Uint64Var(&g.start, "serial-start", 1, "first number after --serial-prefix")
	fl.IntVar(&g.width, "serial-width", 0, "pad the number after --serial-prefix with zeros to this many digits")
	fl.StringVar(&g.manufacturer, "manufacturer", "", "manufacturer written with each token (Entra requires one)")
	fl.StringVar(&g.model, "model", "", "model written with each token (Entra requires one)")
	fl.StringVar(&g.to, "to", "", "output format (see 'tokenctl formats')")
	fl.StringVarP(&g.out, "output", "o", "", "output file (default standard output)")
	fl.BoolVar(&g.force, "force", false, "replace an existing output file, or print seeds on a terminal")
	g.pskc = pskcFlags(c)
	c.MarkFlagsMutuallyExclusive("serials", "serial-prefix")
	return c
}

type generateReport struct {
	Count       int      `json:"count"`
	Format      string   `json:"format"`
	Output      string   `json:"output"`
	Kind        string   `json:"kind"`
	Hash        string   `json:"hash"`
	Digits      int      `json:"digits"`
	Period      int      `json:"period,omitempty"`
	Counter     *uint64  `json:"counter,omitempty"`
	SecretBytes int      `json:"secret_bytes"`
	FirstSerial string   `json:"first_serial"`
	LastSerial  string   `json:"last_serial"`
	Warnings    []string `json:"warnings"`
}

func (g *seedGenerate) run(f *factory, c *cobra.Command) error {
	fl := c.Flags()
	if g.to == "" {
		return usagef("--to is required: the output format (see 'tokenctl formats')")
	}
	format, ok := convert.Lookup(g.to)
	if !ok {
		return usagef("--to %q: unknown format (see 'tokenctl formats')", g.to)
	}
	if format.Create == nil {
		return usagef("--to %s: tokenctl can read this format but not write it", format.Name)
	}
	kind, err := seed.ParseKind(g.kind)
	if err != nil || (kind != seed.TOTP && kind != seed.HOTP) {
		return usagef("--kind %q: want totp or hotp", g.kind)
	}
	h, err := seed.ParseHash(g.hash)
	if err != nil {
		return exitcode.UsageErr(fmt.Errorf("--hash: %w", err))
	}
	if g.digits != 6 && g.digits != 8 {
		return usagef("--digits %d: want 6 or 8", g.digits)
	}
	if kind == seed.TOTP && g.period != 30 && g.period != 60 {
		return usagef("--period %d: want 30 or 60", g.period)
	}
	if kind == seed.HOTP && fl.Changed("period") {
		return usagef("--period applies to TOTP tokens")
	}
	if kind == seed.TOTP && fl.Changed("counter") {
		return usagef("--counter applies to HOTP tokens")
	}
	n := g.bytes
	if !fl.Changed("bytes") {
		n = h.DefaultSecretLen()
	}
	if n < 10 || n > seed.MaxSecretLen {
		return usagef("--bytes %d: want 10..%d (RFC 4226 asks for at least 16, recommends 20)", n, seed.MaxSecretLen)
	}
	if g.count < 0 || g.count > maxGenerate {
		return usagef("--count %d: want 1..%d", g.count, maxGenerate)
	}
	if g.width < 0 || g.width > 40 {
		return usagef("--serial-width %d: want 0..40", g.width)
	}
	var serials []string
	switch {
	case g.serials != "":
		if fl.Changed("serial-start") || fl.Changed("serial-width") {
			return usagef("--serial-start and --serial-width go with --serial-prefix")
		}
		if serials, err = readSerials(g.serials, c.InOrStdin()); err != nil {
			return err
		}
		if g.count == 0 {
			g.count = len(serials)
		} else if g.count != len(serials) {
			return usagef("--count %d, but %s holds %d serials", g.count, g.serials, len(serials))
		}
	case fl.Changed("serial-prefix"):
		if g.count == 0 {
			return usagef("--count is required with --serial-prefix")
		}
		if g.start > ^uint64(0)-uint64(g.count) {
			return usagef("--serial-start %d: numbering would overflow", g.start)
		}
		for _, r := range g.prefix {
			if !serialRuneOK(r) {
				return usagef("--serial-prefix %q: only letters, digits and . _ - / : are allowed in serials", g.prefix)
			}
		}
	default:
		return usagef("no serials: give --serials FILE or --serial-prefix P (with --count N)")
	}
	if g.count == 0 {
		return usagef("--count 0: nothing to generate")
	}

	toStdout := g.out == "" || g.out == "-"
	if toStdout && f.JSON {
		return usagef("--json reports on standard output, where the seeds would go too: give -o FILE")
	}
	if toStdout && !g.force && f.OutTTY {
		return usagef("refusing to print %d secrets on a terminal (they would stay in its scrollback): give -o FILE, pipe the output, or --force", g.count)
	}
	if !toStdout && !g.force {
		if _, err := os.Lstat(g.out); err == nil {
			return exitcode.DataErr(fmt.Errorf("%s exists and may hold seeds already in use: choose another name, or --force to replace it", g.out))
		} else if !errors.Is(err, os.ErrNotExist) {
			return exitcode.DataErr(err)
		}
	}
	if n < 16 {
		fmt.Fprintf(c.ErrOrStderr(), "tokenctl: warning: %d-byte secrets are shorter than the 16 bytes RFC 4226 asks for\n", n)
	}

	gen := &generator{
		proto: seed.Token{Kind: kind, Hash: h, Digits: g.digits, Manufacturer: g.manufacturer, Model: g.model},
		n:     n, count: g.count, serials: serials, prefix: g.prefix, start: g.start, width: g.width,
	}
	if kind == seed.TOTP {
		gen.proto.Period = g.period
	} else {
		gen.proto.Counter = g.counter
	}

	// Check the target's rules once on a sample, so that a target that
	// cannot take these tokens is a usage error said once, not a
	// problem on each of N rows.
	sample := gen.proto
	sample.Serial = gen.serial(0)
	sample.Secret = make([]byte, n)
	probs, err := convert.Check(format.Name, &sample)
	if err != nil {
		return conversionError(err)
	}
	var msgs []string
	for _, p := range probs {
		if !p.Warning {
			msgs = append(msgs, fmt.Sprintf("--to %s: %s: %s", format.Name, p.Field, p.Msg))
		}
	}
	if len(msgs) > 0 {
		return exitcode.UsageErr(errors.New(strings.Join(msgs, "\n")))
	}

	var problems, warnings []*seed.FieldError
	opts := convert.Options{
		Stdout: c.OutOrStdout(), Manufacturer: g.manufacturer, Model: g.model,
		OnProblem: func(fe *seed.FieldError) {
			if fe.Warning {
				warnings = append(warnings, fe)
			} else {
				problems = append(problems, fe)
			}
		},
	}
	if err := g.pskc(&opts); err != nil {
		return exitcode.UsageErr(err)
	}
	out := g.out
	if toStdout {
		out = ""
	}
	_, err = convert.WriteStream(out, format.Name, gen, "generated", &opts)
	if err != nil {
		for i, p := range problems {
			if i == 20 {
				fmt.Fprintf(c.ErrOrStderr(), "... and %d more\n", len(problems)-20)
				break
			}
			fmt.Fprintln(c.ErrOrStderr(), p)
		}
		return conversionError(err)
	}
	if gen.err != nil {
		return exitcode.DataErr(gen.err)
	}
	if gen.i != g.count {
		return exitcode.DataErr(fmt.Errorf("wrote %d of %d tokens", gen.i, g.count))
	}
	if f.JSON {
		r := generateReport{
			Count: g.count, Format: format.Name, Output: g.out, Kind: kind.String(), Hash: h.String(),
			Digits: g.digits, SecretBytes: n, FirstSerial: gen.serial(0), LastSerial: gen.serial(g.count - 1),
			Warnings: []string{},
		}
		for _, w := range warnings {
			r.Warnings = append(r.Warnings, w.Error())
		}
		if kind == seed.TOTP {
			r.Period = g.period
		} else {
			r.Counter = &g.counter
		}
		return writeJSON(c.OutOrStdout(), r)
	}
	if len(warnings) > 0 {
		fmt.Fprintln(c.ErrOrStderr(), warnings[0])
		if len(warnings) > 1 {
			fmt.Fprintf(c.ErrOrStderr(), "... and %d more warnings\n", len(warnings)-1)
		}
	}
	if !toStdout {
		fmt.Fprintf(c.ErrOrStderr(), "wrote %d %s %s seeds (%d bytes) to %s (%s)\n", g.count, kind, h, n, g.out, format.Name)
	}
	return nil
}

// isTerminal reports whether w is a terminal (not merely a character
// device: /dev/null is one too).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && isatty.IsTerminal(f.Fd())
}

// generator is a seed.Reader of fresh tokens, so that the write pipeline
// streams them in flat memory.
type generator struct {
	proto   seed.Token
	n       int
	count   int
	serials []string
	prefix  string
	start   uint64
	width   int
	i       int
	err     error
}

func (g *generator) serial(i int) string {
	if g.serials != nil {
		return g.serials[i]
	}
	num := strconv.FormatUint(g.start+uint64(i), 10)
	if len(num) < g.width {
		num = strings.Repeat("0", g.width-len(num)) + num
	}
	return g.prefix + num
}

func (g *generator) Read() (*seed.Token, int, error) {
	if g.i >= g.count {
		return nil, 0, io.EOF
	}
	secret, err := seed.Generate(g.n)
	if err != nil {
		// Not a row problem: stop the pipeline, nothing is written.
		g.err = err
		return nil, 0, err
	}
	t := g.proto
	t.Serial = g.serial(g.i)
	t.Secret = secret
	g.i++
	return &t, g.i, nil
}

// serialRuneOK limits serials to what every seed-file format carries
// without quoting.
func serialRuneOK(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("._-/:", r)
}

// readSerials reads a serials file ("-": stdin): one a line, blank lines
// and '#' comments skipped, BOM and CRLF tolerated. Every problem is
// reported as file:line: serial: what is wrong.
func readSerials(path string, stdin io.Reader) ([]string, error) {
	var r io.Reader
	name := path
	if path == "-" {
		r, name = stdin, "standard input"
	} else {
		f, err := os.Open(path)
		if err != nil {
			return nil, exitcode.DataErr(err)
		}
		defer f.Close()
		r = f
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
		switch {
		case len(s) > 128:
			bad("%d characters, at most 128", len(s))
			continue
		case looksLikeExponent(s):
			bad("%q looks damaged by a spreadsheet (a number in exponent form)", s)
			continue
		case strings.IndexFunc(s, func(r rune) bool { return !serialRuneOK(r) }) >= 0:
			// The line is not repeated: given a seed file by mistake, it
			// would print the seeds.
			r := []rune(s)[strings.IndexFunc(s, func(r rune) bool { return !serialRuneOK(r) })]
			hint := ""
			if strings.ContainsAny(s, ",;\t") || len(s) > 32 {
				hint = " (--serials takes one serial a line: is this a seed file?)"
			}
			bad("a line of %d characters with %q in it: only letters, digits and . _ - / : are allowed%s", len(s), r, hint)
			continue
		}
		if first, dup := seen[s]; dup {
			bad("%s appears again (first on line %d)", s, first)
			continue
		}
		seen[s] = line
		out = append(out, s)
		if len(out) > maxGenerate {
			return nil, exitcode.DataErr(fmt.Errorf("%s: more than %d serials", name, maxGenerate))
		}
	}
	if err := sc.Err(); err != nil {
		return nil, exitcode.DataErr(fmt.Errorf("reading %s: %w", name, err))
	}
	if len(probs) > 0 {
		return nil, exitcode.DataErr(errors.New(strings.Join(probs, "\n")))
	}
	if len(out) == 0 {
		return nil, exitcode.DataErr(fmt.Errorf("%s: no serials", name))
	}
	return out, nil
}

// looksLikeExponent recognises 1.00013E+12 style numbers.
func looksLikeExponent(s string) bool {
	if _, err := strconv.ParseFloat(s, 64); err != nil {
		return false
	}
	return strings.ContainsAny(s, "Ee")
}
