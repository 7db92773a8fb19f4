package main

import (
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/tokenctl/tokenctl/convert"
	"github.com/tokenctl/tokenctl/device"
	"github.com/tokenctl/tokenctl/internal/exitcode"
	"github.com/tokenctl/tokenctl/internal/secretin"
	"github.com/tokenctl/tokenctl/seed"
	"github.com/tokenctl/tokenctl/token2"
)

func newToken2Cmd(f *factory) *cobra.Command {
	c := &cobra.Command{
		Use:   "token2",
		Short: "Burn seeds into Token2 programmable TOTP tokens and set their clocks (PC/SC)",
		Long: `Program Token2's single-profile programmable TOTP tokens (OTPC-P1/P2,
miniOTP-2/3, C301/C302) through any PC/SC reader: NFC for the key-fob and
card models, contact for the card models.

Press the token's button to switch it on and hold it on the reader. Nothing
is ever written to a token whose serial is not a known programmable model.
On restricted models (OTPC-P2, miniOTP-3, C301) every configuration write
erases the seed, so a time sync there is refused unless the seed is written
again right after (--reburn).`,
		Example: `  tokenctl token2 info
  tokenctl token2 burn --generate -o duo.csv --to duo
  tokenctl token2 sync --seeds duo.csv --seeds-format duo-totp`,
	}
	c.AddCommand(newToken2InfoCmd(f), newToken2BurnCmd(f), newToken2SyncCmd(f), newToken2FIDOCmd(f), newToken2MoltoCmd(f))
	return c
}

// t2Conn holds the flags that choose and reach a token, key or Molto2.
type t2Conn struct{ reader, wait string }

// add adds --reader (unless batch's flags have it) and --wait for what.
func (o *t2Conn) add(c *cobra.Command, what string, reader bool) {
	if reader {
		c.Flags().StringVar(&o.reader, "reader", "", "PC/SC reader name or part of it (default: the only reader, or the only one with a card)")
	}
	c.Flags().StringVar(&o.wait, "wait", "", "wait for "+what+": --wait for as long as it takes (Ctrl-C to give up), --wait=30s at most that long")
	c.Flags().Lookup("wait").NoOptDefVal = "forever"
}

// card is the device.CardOptions of the flags; what names the device.
func (o *t2Conn) card(what string) (device.CardOptions, error) {
	w, err := device.ParseWait(o.wait)
	if err != nil {
		return device.CardOptions{}, usagef("--wait=%s: %v", o.wait, err)
	}
	return device.CardOptions{Reader: o.reader, Wait: w, What: what}, nil
}

// open reaches the token (device.OpenToken2) and reads its get-info
// answer; known refuses a model that is not a programmable one before
// anything is written. The caller closes the token.
func (o *t2Conn) open(c *cobra.Command, f *factory, known bool) (*device.Token2, func(), error) {
	ctx, stop := interruptible(c.Context())
	co, err := o.card("")
	if err == nil {
		var t *device.Token2
		if t, err = f.Devices.OpenToken2(ctx, device.Token2Options{Reader: co.Reader, Wait: co.Wait, Known: known}); err == nil {
			return t, func() { t.Close(); stop() }, nil
		}
	}
	stop()
	return nil, nil, err
}

// t2NoArgs refuses arguments, pointing at --wait=D for a stray duration
// (--wait takes its optional value after '=').
func t2NoArgs(c *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	if _, err := time.ParseDuration(args[0]); err == nil {
		return usagef("unexpected argument %q: write --wait=%s for a time limit", args[0], args[0])
	}
	return usagef("unexpected argument %q (%s takes flags only)", args[0], c.CommandPath())
}

// --- info ---

func newToken2InfoCmd(f *factory) *cobra.Command {
	var conn t2Conn
	c := &cobra.Command{
		Use:   "info",
		Short: "Show a token's serial, model, time-sync class and clock offset",
		Long: `Read a token's serial number and device clock (nothing is written).
The model and its time-sync class come from the serial: "unrestricted"
tokens keep their seed on a time sync, "restricted" ones lose it. The offset
is the device clock minus the host clock, to the second.`,
		Example: `  tokenctl token2 info
  tokenctl token2 info --reader 'Virtual PCD 00 00' --json`,
		Args: t2NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			tok, done, err := conn.open(c, f, false)
			if err != nil {
				return err
			}
			defer done()
			r := tok.Info.Status(tok.HostTime, tok.Reader)
			return f.emit(r, f.Out, "%s", r)
		},
	}
	conn.add(c, "a token to be presented", true)
	return c
}

// --- shared settings, seed and output ---

// t2SettingsFlags binds the flags of a configuration write to s (whose
// Params' errors name them); required leaves --hash and --period empty.
func t2SettingsFlags(c *cobra.Command, s *token2.Settings, required bool) {
	hashDef, periodDef := "sha1", "30"
	if required {
		hashDef, periodDef = "", ""
	}
	c.Flags().StringVar(&s.Hash, "hash", hashDef, "HMAC hash: sha1 or sha256")
	c.Flags().StringVar(&s.Period, "period", periodDef, "TOTP time step in seconds: 30 or 60")
	c.Flags().StringVar(&s.Display, "display", "30", "display timeout in seconds: 15, 30, 60 or 120")
	c.Flags().StringVar(&s.Time, "time", "", "set the clock to this time (RFC 3339 or Unix seconds) instead of the host clock")
}

// t2Seed is how a command gets the seed it writes: --secret-file or
// --secret-env, or --generate (which needs -o FILE --to FORMAT, the
// device never giving a seed back); and where it records the device:
// -o FILE --to FORMAT, a convert.Output checked before the device is
// written and committed after.
type t2Seed struct {
	src          *secretin.Source
	encoding     string
	generate     bool
	length       int
	seeds        string // a seed file giving the seeds instead (molto2 burn)
	path, format string
	pskc         func(o *convert.Options) error
	out          *convert.DeviceOutput
}

// add adds the flags; length, when not 0, is --length's default.
func (o *t2Seed) add(c *cobra.Command, what, generate string, length int, lengthHelp string) {
	o.src = secretFlags(c, "", what)
	c.Flags().BoolVar(&o.generate, "generate", false, generate)
	if length != 0 {
		c.Flags().IntVar(&o.length, "length", length, lengthHelp)
	}
	c.Flags().StringVarP(&o.path, "output", "o", "", "append the burned token to this seed file (0600; created with its header when new)")
	c.Flags().StringVar(&o.format, "to", "", "format of the -o file: duo, entra, privacyidea, pskc... (see tokenctl formats)")
	o.pskc = pskcFlags(c)
}

// one refuses no seed or two (msg); keptNowhere, --generate without -o.
func (o *t2Seed) one(msg, keptNowhere string) error {
	if o.generate == o.src.IsSet() {
		return usagef("%s", msg)
	}
	if o.generate && o.path == "" {
		return usagef("--generate without -o FILE --to FORMAT would %s", keptNowhere)
	}
	return nil
}

// secret is a generated seed of n bytes, or the one read.
func (o *t2Seed) secret(n int, read func() ([]byte, error)) ([]byte, error) {
	if o.generate {
		return seed.Generate(n)
	}
	return read()
}

// read reads a Token2 seed (token2.DecodeSeed), as --encoding says.
func (o *t2Seed) read() ([]byte, error) {
	text, err := o.src.Read()
	if err != nil {
		return nil, exitcode.DataErr(fmt.Errorf("seed: %w", err))
	}
	return token2.DecodeSeed(text, o.encoding) // a *SettingsError names --encoding
}

// preflight opens the output and checks, before the device is touched,
// that it can take a token like t (convert.OpenDeviceOutput).
func (o *t2Seed) preflight(t *seed.Token) (err error) {
	o.out, err = convert.OpenDeviceOutput(o.path, o.format, t, o.pskc)
	return err
}

// record appends the device written to the -o file, if any (factory.record).
func (o *t2Seed) record(f *factory, what string) error {
	if o.out == nil {
		return nil
	}
	given := ""
	switch {
	case o.seeds != "":
		given = "--seeds " + o.seeds
	case !o.generate:
		given = o.src.Name()
	}
	return f.record(o.out.Output, what, given)
}

// done records the device written (what; record) and reports r: as
// JSON, or its serial on standard output and note on standard error,
// with where it was appended.
func (o *t2Seed) done(f *factory, what, serial string, r any, note string) error {
	if err := o.record(f, what); err != nil {
		return err
	}
	if err := f.emit(r, f.Out, "%s\n", serial); err != nil || f.JSON {
		return err
	}
	if o.path != "" {
		note += fmt.Sprintf("; appended to %s (%s)", o.path, o.format)
	}
	fmt.Fprintln(f.Err, note)
	return nil
}

// --- burn ---

func newToken2BurnCmd(f *factory) *cobra.Command {
	var (
		conn     t2Conn
		settings token2.Settings
		sd       t2Seed
	)
	c := &cobra.Command{
		Use:   "burn",
		Short: "Write a seed, TOTP settings and the clock into a token, and record it in a seed file",
		Long: `Burn one token: read its serial, check the model, authenticate, write the
configuration (clock, hash, period, display timeout), then the seed: five
APDUs in all. The seed is base32 or hex, or generated (20 bytes unless
--length); the clock is the host's, or --time.

With -o FILE --to FORMAT the token is appended to a seed file in any
writable format once it has confirmed both writes; --generate needs -o, as
burn never prints a seed and the token cannot give it back. The file is
checked before the first write to the token (format rules, a 0600 file we
can append to, a trial append with the token's serial); if it still cannot
be written afterwards, a generated seed is saved to a 0600 rescue file, its
name printed, and the exit code is 3. The serial is printed on standard
output.`,
		Example: `  tokenctl token2 burn --generate -o duo.csv --to duo
  tokenctl token2 burn --secret-file seed.b32 --period 60 -o entra.csv --to entra
  tokenctl token2 burn --wait=60s --generate --length 32 --hash sha256 --period 60 -o tokens.pskc --to pskc --json`,
		Args: t2NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			p, err := settings.Params()
			if err != nil {
				return err
			}
			switch {
			case sd.generate == sd.src.IsSet():
				return usagef("give the seed with --secret-file or --secret-env, or --generate (exactly one)")
			case c.Flags().Changed("length") && !sd.generate:
				return usagef("--length goes with --generate")
			case sd.generate && (sd.length < token2.MinSeedLen || sd.length > token2.MaxSeedLen):
				return usagef("--length %d: Token2 tokens take %d to %d bytes", sd.length, token2.MinSeedLen, token2.MaxSeedLen)
			}
			// burn prints no seed (only the serial and settings), and the token cannot give it back.
			if err := sd.one("", "burn a seed that is kept nowhere: record it with -o FILE --to FORMAT, or make it first (tokenctl seed generate ... -o F) and burn it with --secret-file"); err != nil {
				return err
			}
			secret, err := sd.secret(sd.length, sd.read)
			if err != nil {
				return err
			}
			defer seed.Zero(secret)
			tok := token2.Credential(token2.Models[0].Prefix+"0000", "Token2", p, secret) // the token's, once read
			if err := sd.preflight(tok); err != nil {
				return err
			}
			defer sd.out.Close()
			t2, done, err := conn.open(c, f, true)
			if err != nil {
				return err
			}
			defer done()
			tok.Serial, tok.Model = t2.Info.Serial, t2.Info.Model.Name
			if err := sd.out.Take(tok); err != nil {
				return err
			}
			p = p.Stamped()
			if _, err := t2.Session.Burn(secret, p); err != nil {
				return err
			}
			t2.Close()
			r := t2.Info.Burned(t2.HostTime, t2.Reader, p)
			r.Output, r.Format = sd.path, sd.format
			return sd.done(f, "token "+r.Serial, r.Serial, r, r.BurnNote())
		},
	}
	conn.add(c, "a token to be presented", true)
	t2SettingsFlags(c, &settings, false)
	sd.add(c, "the seed (base32 or hex)", "generate a random seed", 20, "seed length in bytes with --generate (10..63)")
	c.Flags().StringVar(&sd.encoding, "encoding", "", "encoding of the seed text: base32 or hex (needed when the text reads as both)")
	return c
}

// --- sync ---

func newToken2SyncCmd(f *factory) *cobra.Command {
	var (
		conn        t2Conn
		settings    token2.Settings
		sd          t2Seed
		plan        token2.SyncPlan
		pskc        func(o *convert.Options) error
		seedsFormat string
	)
	c := &cobra.Command{
		Use:   "sync",
		Short: "Set a token's clock (refused on restricted models unless the seed is re-burned)",
		Long: `Set a token's clock to the host's (or --time). The clock travels in the same
write as the hash and the time step, and the token cannot report those: give
--hash and --period, or --seeds FILE where the token's serial is listed, so
that a SHA-256/60 s token is never silently turned into SHA-1/30 s. Hash
and step are taken from the file only when its format records them (entra,
duo, duo-totp, privacyidea, linotp, otpauth, pskc); files that hold only
serials and seeds (hex, serial-secret, Token2's token2-ps) need --hash and
--period as well.

On restricted models (OTPC-P2, miniOTP-3, C301) the write erases the seed:
sync is refused there (exit 1, nothing written) unless --reburn writes the
seed again right after, from --secret-file/--secret-env or from the
--seeds file.`,
		Example: `  tokenctl token2 sync --hash sha1 --period 30
  tokenctl token2 sync --seeds entra.csv
  # Token2's PowerShell output (SERIAL HEX) records no hash or step
  tokenctl token2 sync --seeds token2-seeds.txt --hash sha1 --period 60
  tokenctl token2 sync --reburn --secret-file seed.b32 --hash sha256 --period 60`,
		Args: t2NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			var err error
			if plan.Params, err = settings.Params(); err != nil {
				return err
			}
			plan.HashGiven, plan.SecretGiven = settings.Hash != "", sd.src.IsSet()
			if err := plan.Check(); err != nil {
				return err
			}
			if plan.Reburn && plan.SecretGiven {
				if plan.Secret, err = sd.read(); err != nil {
					return err
				}
				defer seed.Zero(plan.Secret)
			}
			var seeds *convert.SeedFile
			if plan.Seeds != "" {
				opts := &convert.Options{Kind: seed.TOTP}
				if err := pskc(opts); err != nil {
					return err
				}
				if seeds, err = convert.OpenSeedFile(plan.Seeds, seedsFormat, "--seeds-format", opts); err != nil {
					return err
				}
				plan.SeedsFormat, plan.Records = seeds.Format.Name, seeds.Format.TOTPSettings
				if err := plan.Check(); err != nil {
					return err
				}
				if err := seeds.Check(); err != nil { // before the token is touched
					return err
				}
			}
			t2, done, err := conn.open(c, f, true)
			if err != nil {
				return err
			}
			defer done()
			p, secret, err := plan.ForToken(t2.Info, func(serial string) (*seed.Token, error) {
				rec, err := seeds.Find(serial)
				if errors.Is(err, convert.ErrNotFound) {
					err = fmt.Errorf("%w: give --hash and --period", err)
				}
				return rec, err
			})
			if err != nil {
				return err
			}
			defer seed.Zero(secret)
			p = p.Stamped()
			if _, err := t2.Session.Sync(p, secret); err != nil {
				return err
			}
			r := t2.Info.Written(t2.HostTime, t2.Reader, p)
			r.Reburned = &plan.Reburn
			return f.emit(r, f.Out, "%s", r.SyncLine())
		},
	}
	conn.add(c, "a token to be presented", true)
	t2SettingsFlags(c, &settings, true)
	sd.src = secretFlags(c, "", "the seed (base32 or hex)")
	c.Flags().StringVar(&sd.encoding, "encoding", "", "encoding of the seed text: base32 or hex (needed when the text reads as both)")
	c.Flags().StringVar(&plan.Seeds, "seeds", "", "seed file listing the token: its hash and period (and seed, with --reburn) are taken from there")
	c.Flags().StringVar(&seedsFormat, "seeds-format", "", "format of the --seeds file (default: detected)")
	c.Flags().BoolVar(&plan.Reburn, "reburn", false, "write the seed again right after the clock (required on restricted models)")
	pskc = pskcFlags(c)
	return c
}
