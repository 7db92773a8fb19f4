package main

import (
	"errors"

	"github.com/spf13/cobra"

	"github.com/tokenctl/tokenctl/convert"
	"github.com/tokenctl/tokenctl/internal/secretin"
)

// tokenInput is what "code" and "check" share: one OATH token, given as a
// secret with its parameters or as a serial in a seed file
// (convert.TokenSpec).
type tokenInput struct {
	convert.TokenSpec
	secret *secretin.Source
}

func (in *tokenInput) flags(c *cobra.Command) {
	in.secret = secretFlags(c, "", "the seed")
	f := c.Flags()
	f.StringVar(&in.Encoding, "encoding", "base32", "how the --secret-file/--secret-env text is written: base32, hex or base64; with --seeds, the encoding of a format that leaves it open")
	f.StringVar(&in.Hash, "hash", "sha1", "HMAC hash of the token: sha1, sha256 or sha512")
	f.IntVar(&in.Digits, "digits", 6, "code length: 6 or 8 (7 works too); with --seeds, for formats that do not say")
	f.IntVar(&in.Period, "period", 30, "TOTP time step in seconds; with --seeds, for formats that do not say")
	f.StringVar(&in.Serial, "serial", "", "the token's serial number in the --seeds file")
	f.StringVar(&in.Seeds, "seeds", "", "seed file that holds --serial ('-' for standard input)")
	f.StringVar(&in.From, "from", "", "format of the --seeds file (see 'tokenctl formats'); detected when unambiguous")
	f.StringVar(&in.Kind, "kind", "", "totp or hotp; with --seeds, for formats that do not say (duo, hex, token2-ps); with a secret, --counter means hotp")
	f.StringVar(&in.Counter, "counter", "", "HOTP: the counter value (makes the token HOTP; with --seeds, overrides the file's counter)")
	f.StringVar(&in.Time, "time", "", "TOTP: the time, RFC 3339 (2026-01-02T15:04:05Z) or Unix seconds; default now")
	in.FileOptions = pskcFlags(c)
}

// spec is the token given.
func (in *tokenInput) spec(f *factory, c *cobra.Command) *convert.TokenSpec {
	in.SecretFile, in.SecretEnv, in.Stdin, in.Given = in.secret.File, in.secret.Env, f.In, c.Flags().Changed
	return &in.TokenSpec
}

func newCodeCmd(f *factory) *cobra.Command {
	var in tokenInput
	c := &cobra.Command{
		Use:   "code",
		Short: "Print a token's current TOTP code, or its HOTP code at a counter (as oathtool does)",
		Long: `Print the one-time code a token shows: the TOTP code now (or at --time),
or the HOTP code at --counter. The token is a secret read from a file,
standard input or an environment variable (base32 unless --encoding says
otherwise, SHA-1, 6 digits, 30 s unless --hash/--digits/--period say
otherwise), or a serial in a seed file of any readable format, whose own
parameters are used (formats that do not state them, such as duo, hex and
token2-ps, take --kind, --digits and --period).

The output is the code and a newline, exactly as oathtool prints it; with
--json, a report with the serial, the code, the time step or counter, and
how many seconds the TOTP code stays valid.`,
		Example: `  # the current code of a base32 secret kept in a file
  tokenctl code --secret-file alice.b32
  # a SHA-256, 8-digit, 60 s token whose hex seed is in $SEED
  tokenctl code --secret-env SEED --encoding hex --hash sha256 --digits 8 --period 60
  # HOTP at counter 5, same as: oathtool --hotp -c 5 HEX
  tokenctl code --secret-file seed.hex --encoding hex --counter 5
  # the code of serial 60234567 in a vendor's Entra CSV at a given time
  tokenctl code --seeds token2.csv --from entra --serial 60234567 --time 2026-03-01T12:00:00Z`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error { return in.runCode(f, c) },
	}
	in.flags(c)
	return c
}

// runCode prints the code.
func (in *tokenInput) runCode(f *factory, c *cobra.Command) error {
	rep, err := in.spec(f, c).Code()
	if err != nil {
		return err
	}
	return f.emit(rep, f.Out, "%s\n", rep.Code)
}

func newCheckCmd(f *factory) *cobra.Command {
	var o checkOpts
	c := &cobra.Command{
		Use:   "check --code CODE",
		Short: "Find which time step or counter a token's code belongs to: its clock drift or counter lead",
		Long: `Check a code read off a token against its seed and say where it matches:
for TOTP, which time step within --window steps of now (or --time), i.e.
how far the token's clock is off, in steps and seconds; for HOTP, how many
counter values past --counter (or the seed file's counter) the token is.

The token is given as for 'tokenctl code': a secret from a file, standard
input or an environment variable (base32 by default, see --encoding), or a
serial in a seed file. Codes are compared in constant time.

Exit status 0 when the code matches, 1 when it matches nothing in the
window.`,
		Example: `  # is the code on the token's display right, and how far is its clock off?
  tokenctl check --secret-file alice.b32 --code 492039
  #   matches step -3 (-90 s): the token's clock is 90 s slow
  # an HOTP token from a privacyIDEA file, searching 50 counters ahead
  tokenctl check --seeds pi.csv --from privacyidea --serial OATH0001 --code 755224 --window 50`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error { return o.run(f, c) },
	}
	o.flags(c)
	c.Flags().StringVar(&o.code, "code", "", "the code the token shows (spaces allowed)")
	c.Flags().IntVar(&o.window, "window", 0, "how far to search: TOTP steps either side (default 10), HOTP counters ahead (default 20)")
	return c
}

// checkOpts are the flags of check.
type checkOpts struct {
	tokenInput
	code   string
	window int
}

// run finds where the code matches.
func (o *checkOpts) run(f *factory, c *cobra.Command) error {
	var window *int
	if c.Flags().Changed("window") {
		window = &o.window
	}
	rep, err := o.spec(f, c).Check(o.code, window)
	if err == nil && (f.JSON || rep.Match) {
		err = f.emit(rep, f.Out, "%s\n", rep.Message)
	}
	if err == nil && !rep.Match {
		err = errors.New(rep.Message)
	}
	return err
}
