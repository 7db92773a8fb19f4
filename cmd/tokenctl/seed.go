package main

import (
	"fmt"
	"io"
	"os"

	"github.com/mattn/go-isatty"
	"github.com/spf13/cobra"

	"github.com/tokenctl/tokenctl/convert"
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

// generator checks the flags and builds the token stream.
func (g *seedGenerate) generator(c *cobra.Command) (*seed.Generator, error) {
	fl := c.Flags()
	kind, err := seed.ParseOATHKind(g.kind)
	if err != nil {
		return nil, usagef("--kind %v", err)
	}
	h, err := seed.ParseHash(g.hash)
	if err != nil {
		return nil, usagef("--hash: %v", err)
	}
	if err := seed.CheckDigits(g.digits, true); err != nil {
		return nil, usagef("--digits %v", err)
	}
	switch {
	case kind == seed.TOTP && seed.CheckPeriod(g.period, true) != nil:
		return nil, usagef("--period %v", seed.CheckPeriod(g.period, true))
	case kind == seed.HOTP && fl.Changed("period"):
		return nil, usagef("--period applies to TOTP tokens")
	case kind == seed.TOTP && fl.Changed("counter"):
		return nil, usagef("--counter applies to HOTP tokens")
	}
	gen := &seed.Generator{Bytes: g.bytes, Count: g.count, Pattern: seed.SerialPattern{Prefix: g.prefix, Start: g.start, Width: g.width},
		Proto: seed.Token{Kind: kind, Hash: h, Digits: g.digits, Manufacturer: g.manufacturer, Model: g.model}}
	if kind == seed.TOTP {
		gen.Proto.Period = g.period
	} else {
		gen.Proto.Counter = g.counter
	}
	if !fl.Changed("bytes") {
		gen.Bytes = h.DefaultSecretLen()
	}
	if gen.Bytes < 10 || gen.Bytes > seed.MaxSecretLen {
		return nil, usagef("--bytes %d: want 10..%d (RFC 4226 asks for at least 16, recommends 20)", gen.Bytes, seed.MaxSecretLen)
	}
	if g.count < 0 || g.count > seed.MaxGenerate {
		return nil, usagef("--count %d: want 1..%d", g.count, seed.MaxGenerate)
	}
	if g.width < 0 || g.width > 40 {
		return nil, usagef("--serial-width %d: want 0..40", g.width)
	}
	switch {
	case g.serials != "":
		if fl.Changed("serial-start") || fl.Changed("serial-width") {
			return nil, usagef("--serial-start and --serial-width go with --serial-prefix")
		}
		if gen.Serials, err = seed.ReadSerials(g.serials, c.InOrStdin()); err != nil {
			return nil, err
		}
		if gen.Count == 0 {
			gen.Count = len(gen.Serials)
		} else if gen.Count != len(gen.Serials) {
			return nil, usagef("--count %d, but %s holds %d serials", g.count, g.serials, len(gen.Serials))
		}
	case fl.Changed("serial-prefix"):
		if g.count == 0 {
			return nil, usagef("--count is required with --serial-prefix")
		}
		if err := gen.Pattern.Check(g.count); err != nil {
			return nil, usagef("--serial-%v", err)
		}
	default:
		return nil, usagef("no serials: give --serials FILE or --serial-prefix P (with --count N)")
	}
	if gen.Count == 0 {
		return nil, usagef("--count 0: nothing to generate")
	}
	return gen, nil
}

func (g *seedGenerate) run(f *factory, c *cobra.Command) error {
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
	gen, err := g.generator(c)
	if err != nil {
		return err
	}
	toStdout := g.out == "" || g.out == "-"
	switch {
	case toStdout && f.JSON:
		return usagef("--json reports on standard output, where the seeds would go too: give -o FILE")
	case toStdout && !g.force && f.OutTTY:
		return usagef("refusing to print %d secrets on a terminal (they would stay in its scrollback): give -o FILE, pipe the output, or --force", gen.Count)
	}
	if gen.Bytes < 16 {
		fmt.Fprintf(c.ErrOrStderr(), "tokenctl: warning: %d-byte secrets are shorter than the 16 bytes RFC 4226 asks for\n", gen.Bytes)
	}
	var problems, warnings []*seed.FieldError
	opts := convert.Options{Stdout: c.OutOrStdout(), Manufacturer: g.manufacturer, Model: g.model, NoClobber: !g.force,
		OnProblem: func(fe *seed.FieldError) {
			if fe.Warning {
				warnings = append(warnings, fe)
			} else {
				problems = append(problems, fe)
			}
		}}
	if err := g.pskc(&opts); err != nil {
		return err
	}
	if _, err = convert.Generate(g.out, format.Name, gen, &opts); err != nil {
		for i, p := range problems {
			if i == 20 {
				fmt.Fprintf(c.ErrOrStderr(), "... and %d more\n", len(problems)-20)
				break
			}
			fmt.Fprintln(c.ErrOrStderr(), p)
		}
		return err
	}
	t := gen.Proto
	if f.JSON {
		r := generateReport{Count: gen.Count, Format: format.Name, Output: g.out, Kind: t.Kind.String(), Hash: t.Hash.String(),
			Digits: t.Digits, SecretBytes: gen.Bytes, FirstSerial: gen.Serial(0), LastSerial: gen.Serial(gen.Count - 1),
			Warnings: []string{}, Period: t.Period}
		for _, w := range warnings {
			r.Warnings = append(r.Warnings, w.Error())
		}
		if t.Kind == seed.HOTP {
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
		fmt.Fprintf(c.ErrOrStderr(), "wrote %d %s %s seeds (%d bytes) to %s (%s)\n", gen.Count, t.Kind, t.Hash, gen.Bytes, g.out, format.Name)
	}
	return nil
}

// isTerminal reports whether w is a terminal (not merely a character
// device: /dev/null is one too).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && isatty.IsTerminal(f.Fd())
}
