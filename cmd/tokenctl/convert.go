package main

import (
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/tokenctl/tokenctl/convert"
	"github.com/tokenctl/tokenctl/seed"
)

// inputFlags are the options that say how to read seed files.
type inputFlags struct {
	from string
	convert.InputSpec
}

func (f *inputFlags) add(c *cobra.Command) {
	c.Flags().StringVar(&f.from, "from", "", "input format (see 'tokenctl formats'); detected when only one format fits")
	c.Flags().StringVar(&f.SecretEncoding, "secret-encoding", "", "hex or base32: how the input writes secrets, for formats that leave it open (or against a format's own, for a vendor file that breaks it)")
	c.Flags().StringVar(&f.Charset, "encoding", "auto", "text encoding of CSV inputs: auto (UTF-16 with a BOM, else UTF-8), utf-8, utf-16 or windows-1252 (Excel's \"CSV (comma delimited)\" on a Western European Windows)")
	c.Flags().StringVar(&f.Kind, "kind", "", "hotp or totp, for inputs that do not say (duo, hex, token2-ps)")
	c.Flags().IntVar(&f.Digits, "digits", 0, "6 or 8, for inputs that do not say (default 6)")
	c.Flags().IntVar(&f.Period, "period", 0, "TOTP time step in seconds, for inputs that do not say (default 30)")
	c.Flags().StringVar(&f.Manufacturer, "manufacturer", "", "manufacturer for tokens that have none (Entra requires one)")
	c.Flags().StringVar(&f.Model, "model", "", "model for tokens that have none (Entra requires one)")
}

// options sets the reading options of o (convert.InputSpec.Apply).
func (f *inputFlags) options(o *convert.Options) error { return f.Apply(o) }

// progress shows the rows read on a terminal's stderr, for long inputs;
// done clears the line (see eraseLine: no escape sequence where the
// terminal would print it raw, or with NO_COLOR).
func progress(f *factory) (on func(int), done func()) {
	w, ansi := f.Err, f.ANSI
	if !f.ErrTTY {
		return nil, func() {}
	}
	shown := false
	return func(n int) {
			if n > 0 {
				shown = true
				fmt.Fprintf(w, "\r%d rows…", n)
			}
		}, func() {
			if shown {
				fmt.Fprint(w, eraseLine(ansi))
			}
		}
}

// problemPrinter prints every problem on stderr as it is found.
func problemPrinter(f *factory) func(*seed.FieldError) {
	clear := ""
	if f.ErrTTY {
		clear = eraseLine(f.ANSI) // over a progress line
	}
	return func(fe *seed.FieldError) { fmt.Fprintln(f.Err, clear+fe.Error()) }
}

// convertOpts are the flags of convert and validate.
type convertOpts struct {
	in                        inputFlags
	to, out, rejects          string
	split, skip, force, check bool // check: validate, writing nothing
	pskc                      func(o *convert.Options) error
}

func newConvertCmd(f *factory) *cobra.Command {
	var o convertOpts
	c := &cobra.Command{
		Use:   "convert --to FORMAT [--from FORMAT] [-o OUT] IN...",
		Short: "Convert seed files between formats, checking every row against the target's rules",
		Long: `Convert seed files (vendor deliveries, server exports) into the import
format of a server. Every row is checked against the rules of the target:
serial present, at most 128 characters, unique (per token type for Duo) and
not damaged by a spreadsheet; secret decodes, at least 10 bytes (a warning
under 16); the target can import the token (Duo: SHA-1, steps 30/60, one
token type per file; Entra: TOTP, 30/60 s, at most 128 base32 characters...).

Every problem is printed as file:line: field: what is wrong, and when there
is any, nothing is written and the exit code is 1. --skip-invalid writes the
valid rows and puts the rejected ones, with their problems, in a rejects
file (0600); it skips rows, not files: an input that cannot be used as a
whole (no header, no tokens at all, a wrong PSKC key, malformed XML) still
ends with exit 1 and nothing written. Output files are created 0600 through a temporary file and a
rename; an existing file is not replaced without --force, since it may hold
the only copy of seeds. IN '-' reads standard input; without -o the result
goes to standard output (only once the whole input is valid, so it is
held until then in an unlinked 0600 file under $TMPDIR; not on a terminal
without --force).

Formats: see 'tokenctl formats'. Duo files do not say whether their tokens
are HOTP or TOTP: read them as duo-hotp or duo-totp.`,
		Example: `  # Token2 sent an Azure CSV; Duo wants serial,HEX,step lines
  tokenctl convert --from entra --to duo -o duo-totp.csv token2-seeds.csv

  # A mixed batch: one Duo file per token type (duo-totp6.csv, duo-hotp6.csv...)
  tokenctl convert --from privacyidea --to duo --split -o duo.csv pi-export.csv

  # Keep what is valid, set the rest aside
  tokenctl convert --to entra --skip-invalid -o entra.csv vendor.csv   # rejects in entra.csv.rejects

  # Duo TOTP lines to Entra, filling the columns Duo does not have
  tokenctl convert --from duo-totp --to entra --manufacturer Token2 --model C202 -o entra.csv duo.csv

  # Excel's "CSV (comma delimited)" from a Western European Windows (';', Windows-1252) to Entra (UTF-8)
  tokenctl convert --encoding windows-1252 --to entra -o entra.csv excel-export.csv

  # A PSKC delivery encrypted with a pre-shared key (hex in psk.hex) to Duo HOTP lines
  tokenctl convert --from pskc --pskc-key-file psk.hex --to duo-hotp -o duo.csv delivery.pskcxml`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error { return o.run(f, c, args) },
	}
	o.flags(c, "target format (required; see 'tokenctl formats')")
	c.Flags().StringVarP(&o.out, "output", "o", "", "output file (default: standard output)")
	c.Flags().BoolVar(&o.split, "split", false, "write one file per token type (OUT-totp6.csv...) when the target takes one type per file (Duo)")
	c.Flags().BoolVar(&o.skip, "skip-invalid", false, "write the valid rows and put the rejected ones in a rejects file")
	c.Flags().StringVar(&o.rejects, "rejects", "", "rejects file for --skip-invalid (default OUT.rejects)")
	c.Flags().BoolVar(&o.force, "force", false, "replace existing output files, or print seeds on a terminal")
	o.pskc = pskcFlags(c)
	return c
}

func newValidateCmd(f *factory) *cobra.Command {
	o := convertOpts{check: true}
	c := &cobra.Command{
		Use:   "validate --to FORMAT [--from FORMAT] IN...",
		Short: "Check seed files against a target's import rules, writing nothing",
		Long: `Check every row of the inputs against the rules of the target format, as
convert would, and print every problem as file:line: field: what is wrong.
Nothing is written. Exit code 1 when any row has an error (warnings alone
pass). With --to equal to the input format, also warns about spellings
tokenctl repairs but the server itself would reject (padded base32...).`,
		Example: `  # Will Entra take this vendor file as is?
  tokenctl validate --to entra token2-seeds.csv

  # Which rows of a privacyIDEA export can go to Duo? (report as JSON)
  tokenctl validate --from privacyidea --to duo --json export.csv`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error { return o.run(f, c, args) },
	}
	o.flags(c, "target format whose rules apply (required)")
	c.Flags().BoolVar(&o.split, "split", false, "allow several token types, as convert --split writes one file per type (Duo)")
	o.pskc = pskcFlags(c)
	return c
}

func (o *convertOpts) flags(c *cobra.Command, toHelp string) {
	o.in.add(c)
	c.Flags().StringVar(&o.to, "to", "", toHelp)
	c.MarkFlagRequired("to")
}

func (o *convertOpts) run(f *factory, c *cobra.Command, args []string) error {
	toStdout := o.out == "" || o.out == "-"
	if !o.check {
		if err := f.secretsOut(o.out, o.force); err != nil {
			return err
		}
	}
	opts := &convert.Options{Split: o.split, SkipInvalid: o.skip, Rejects: o.rejects, NoClobber: !o.force,
		Stdin: c.InOrStdin(), Stdout: c.OutOrStdout(), OnProblem: problemPrinter(f),
		TuneMemory: os.Getenv("GOMEMLIMIT") == ""}
	if err := o.in.options(opts); err != nil {
		return err
	}
	if err := o.pskc(opts); err != nil {
		return err
	}
	switch {
	case o.rejects != "" && !o.skip:
		return usagef("--rejects names the rejects file of --skip-invalid: give both")
	}
	on, done := progress(f)
	opts.OnProgress = on
	var rep *convert.Report
	var err error
	if o.check {
		rep, err = convert.Validate(args, o.in.from, o.to, opts)
	} else {
		defer opts.CancelOnSignal()()
		rep, err = convert.Run(args, o.in.from, o.to, o.out, opts)
	}
	done()
	if rep != nil && (f.JSON || err == nil && (o.check || !toStdout)) {
		w := map[bool]io.Writer{true: f.Out, false: f.Err}[o.check]
		if jerr := f.emit(rep, w, "%s\n", rep.Summary()); err == nil {
			err = jerr
		}
	}
	return err
}

func plural(n int, s string) string {
	if n == 1 {
		return s
	}
	return s + "s"
}

func newFormatsCmd(f *factory) *cobra.Command {
	return &cobra.Command{
		Use:     "formats",
		Short:   "List the seed-file formats convert reads and writes",
		Example: "  tokenctl formats\n  tokenctl formats --json | jq -r '.[] | select(.write) | .name'",
		Args:    cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			return f.emit(convert.Describe(), f.Out, "%s", convert.FormatTable())
		},
	}
}
