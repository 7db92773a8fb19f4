package main

import (
	"fmt"
	"io"
	"os"

	"github.com/mattn/go-isatty"
	"github.com/spf13/cobra"

	"github.com/tokenctl/tokenctl/convert"
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
	spec  convert.GenerateSpec
	out   string
	force bool
	pskc  func(o *convert.Options) error
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
	fl, sp := c.Flags(), &g.spec
	fl.IntVar(&sp.Count, "count", 0, "how many seeds (with --serials: defaults to the number of serials)")
	fl.IntVar(&sp.Bytes, "bytes", 0, "secret length in bytes (default 20 for sha1, 32 for sha256, 64 for sha512)")
	fl.StringVar(&sp.Hash, "hash", "sha1", "HMAC hash: sha1, sha256 or sha512")
	fl.StringVar(&sp.Kind, "kind", "totp", "token kind: totp or hotp")
	fl.IntVar(&sp.Period, "period", 30, "TOTP time step: 30 or 60 seconds")
	fl.IntVar(&sp.Digits, "digits", 6, "code length: 6 or 8")
	fl.Uint64Var(&sp.Counter, "counter", 0, "HOTP: initial counter of every token")
	fl.StringVar(&sp.Serials, "serials", "", "file of serial numbers, one a line")
	fl.StringVar(&sp.Pattern.Prefix, "serial-prefix", "", "number serials PREFIX<n> instead of reading --serials")
	fl.Uint64Var(&sp.Pattern.Start, "serial-start", 1, "first number after --serial-prefix")
	fl.IntVar(&sp.Pattern.Width, "serial-width", 0, "pad the number after --serial-prefix with zeros to this many digits")
	fl.StringVar(&sp.Manufacturer, "manufacturer", "", "manufacturer written with each token (Entra requires one)")
	fl.StringVar(&sp.Model, "model", "", "model written with each token (Entra requires one)")
	fl.StringVar(&sp.To, "to", "", "output format (see 'tokenctl formats')")
	fl.StringVarP(&g.out, "output", "o", "", "output file (default standard output)")
	fl.BoolVar(&g.force, "force", false, "replace an existing output file, or print seeds on a terminal")
	g.pskc = pskcFlags(c)
	c.MarkFlagsMutuallyExclusive("serials", "serial-prefix")
	return c
}

func (g *seedGenerate) run(f *factory, c *cobra.Command) error {
	g.spec.Given, g.spec.Stdin = c.Flags().Changed, f.In
	format, gen, err := g.spec.Generator()
	if err != nil {
		return err
	}
	if err := f.secretsOut(g.out, g.force); err != nil {
		return err
	}
	if gen.Bytes < 16 {
		fmt.Fprintf(f.Err, "tokenctl: warning: %d-byte secrets are shorter than the 16 bytes RFC 4226 asks for\n", gen.Bytes)
	}
	opts := convert.Options{Stdout: f.Out, Manufacturer: g.spec.Manufacturer, Model: g.spec.Model, NoClobber: !g.force}
	if err := g.pskc(&opts); err != nil {
		return err
	}
	rep, err := convert.GenerateReported(g.out, format.Name, gen, &opts)
	if err != nil || !f.JSON {
		rep.WriteProblems(f.Err)
	}
	if err != nil || g.out == "" || g.out == "-" {
		return err
	}
	return f.emit(rep, f.Err, "%s\n", rep)
}

// isTerminal reports whether w is a terminal (not merely a character
// device: /dev/null is one too).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && isatty.IsTerminal(f.Fd())
}
