package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
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

// t2Conn holds the flags that choose and reach the token.
type t2Conn struct {
	reader string
	wait   string
}

func (o *t2Conn) add(c *cobra.Command) {
	c.Flags().StringVar(&o.reader, "reader", "", "PC/SC reader name or part of it (default: the only reader, or the only one with a card)")
	c.Flags().StringVar(&o.wait, "wait", "", "wait for a token to be presented: --wait for as long as it takes (Ctrl-C to give up), --wait=30s at most that long")
	c.Flags().Lookup("wait").NoOptDefVal = "forever"
}

// open reaches the token (device.OpenToken2) and reads its get-info
// answer; known refuses a model that is not a programmable one before
// anything is written. The caller closes the token.
func (o *t2Conn) open(ctx context.Context, f *factory, known bool) (*device.Token2, error) {
	w, err := device.ParseWait(o.wait)
	if err != nil {
		return nil, usagef("--wait=%s: %v", o.wait, err)
	}
	return f.Devices.OpenToken2(ctx, device.Token2Options{Reader: o.reader, Wait: w, Known: known})
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

type token2InfoReport struct {
	Serial     string    `json:"serial"`
	Model      string    `json:"model,omitempty"`
	Known      bool      `json:"programmable"`
	Sync       string    `json:"time_sync,omitempty"`
	Restricted bool      `json:"restricted"`
	DeviceTime time.Time `json:"device_time"`
	HostTime   time.Time `json:"host_time"`
	Offset     int64     `json:"offset_seconds"`
	Reader     string    `json:"reader"`
}

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
			ctx, stop := interruptible(c.Context())
			defer stop()
			tok, err := conn.open(ctx, f, false)
			if err != nil {
				return err
			}
			defer tok.Close()
			info, host, s := tok.Info, tok.HostTime, tok
			r := token2InfoReport{
				Serial: info.Serial, Known: info.Known, DeviceTime: info.Clock, HostTime: host.UTC().Truncate(time.Second),
				Offset: info.Clock.Unix() - host.Unix(), Reader: s.Reader,
			}
			if info.Known {
				r.Model, r.Sync, r.Restricted = info.Model.Name, info.Model.SyncClass(), info.Model.Restricted
			}
			if f.JSON {
				return writeJSON(f.Out, r)
			}
			w := c.OutOrStdout()
			fmt.Fprintf(w, "serial:       %s\n", r.Serial)
			if info.Known {
				fmt.Fprintf(w, "model:        %s\n", r.Model)
				if r.Restricted {
					fmt.Fprintf(w, "time sync:    restricted (a time sync erases the seed)\n")
				} else {
					fmt.Fprintf(w, "time sync:    unrestricted (a time sync keeps the seed)\n")
				}
			} else {
				fmt.Fprintf(w, "model:        unknown: not a programmable Token2 model, tokenctl will not write to it\n")
			}
			fmt.Fprintf(w, "device clock: %s\n", r.DeviceTime.Format(time.RFC3339))
			fmt.Fprintf(w, "host clock:   %s\n", r.HostTime.Format(time.RFC3339))
			fmt.Fprintf(w, "offset:       %s\n", t2Offset(r.Offset))
			fmt.Fprintf(w, "reader:       %s\n", r.Reader)
			return nil
		},
	}
	conn.add(c)
	return c
}

func t2Offset(s int64) string {
	switch {
	case s == 0:
		return "0 s (in sync)"
	case s > 0:
		return fmt.Sprintf("+%d s (device ahead)", s)
	}
	return fmt.Sprintf("%d s (device behind)", s)
}

// --- shared settings ---

// t2Settings are the flags of a configuration write.
type t2Settings struct {
	hash, period, display, at string
}

func (o *t2Settings) add(c *cobra.Command, required bool) {
	hashDef, periodDef := "sha1", "30"
	if required {
		hashDef, periodDef = "", ""
	}
	c.Flags().StringVar(&o.hash, "hash", hashDef, "HMAC hash: sha1 or sha256")
	c.Flags().StringVar(&o.period, "period", periodDef, "TOTP time step in seconds: 30 or 60")
	c.Flags().StringVar(&o.display, "display", "30", "display timeout in seconds: 15, 30, 60 or 120")
	c.Flags().StringVar(&o.at, "time", "", "set the clock to this time (RFC 3339 or Unix seconds) instead of the host clock")
}

// params parses the settings (token2.Settings): hash and period may be
// left empty, for the caller to fill.
func (o *t2Settings) params() (token2.Params, error) {
	return settingsFlags(token2.Settings{Hash: o.hash, Period: o.period, Display: o.display, Time: o.at}.Params())
}

// settingsFlags names a setting refused by token2.Settings by its flag.
func settingsFlags(p token2.Params, err error) (token2.Params, error) {
	var se *token2.SettingsError
	if errors.As(err, &se) {
		return p, usagef("--%s %q: %s", se.Setting, se.Value, se.Want)
	}
	return p, err
}

// t2Secret holds the flags that give a seed.
type t2Secret struct {
	src      *secretin.Source
	encoding string
}

func (o *t2Secret) add(c *cobra.Command) {
	o.src = secretFlags(c, "", "the seed (base32 or hex)")
	c.Flags().StringVar(&o.encoding, "encoding", "", "encoding of the seed text: base32 or hex (needed when the text reads as both)")
}

// read returns the raw seed, checked for the token's length limits.
func (o *t2Secret) read() ([]byte, error) {
	text, err := o.src.Read()
	if err != nil {
		return nil, exitcode.DataErr(fmt.Errorf("seed: %w", err))
	}
	var enc seed.Encoding
	if o.encoding != "" {
		if enc, err = seed.ParseEncoding(o.encoding); err != nil || enc == seed.Base64 {
			return nil, usagef("--encoding %q: want base32 or hex", o.encoding)
		}
	} else {
		switch v := seed.ValidIn(text); len(v) {
		case 0:
			return nil, exitcode.DataErr(errors.New("seed: neither valid base32 nor valid hex"))
		case 1:
			enc = v[0]
		default:
			return nil, exitcode.DataErr(errors.New("seed: the text reads as both hex and base32: give --encoding hex or --encoding base32"))
		}
	}
	b, err := enc.Decode(text)
	if err != nil {
		return nil, exitcode.DataErr(fmt.Errorf("seed: %w", err))
	}
	if err := token2.CheckSeed(b); err != nil {
		seed.Zero(b)
		return nil, exitcode.DataErr(err)
	}
	return b, nil
}

// --- burn ---

type token2BurnReport struct {
	Serial     string    `json:"serial"`
	Model      string    `json:"model"`
	Sync       string    `json:"time_sync"`
	Hash       string    `json:"hash"`
	Period     int       `json:"period"`
	Display    int       `json:"display"`
	Clock      time.Time `json:"clock_set"`
	PrevOffset int64     `json:"previous_offset_seconds"`
	Reader     string    `json:"reader"`
	Output     string    `json:"output,omitempty"`
	Format     string    `json:"format,omitempty"`
}

// t2Output is -o FILE --to FORMAT: where a burned token is appended.
type t2Output struct {
	path, format string
	pskc         func(o *convert.Options) error
	out          *convert.Output
}

func (o *t2Output) add(c *cobra.Command) {
	c.Flags().StringVarP(&o.path, "output", "o", "", "append the burned token to this seed file (0600; created with its header when new)")
	c.Flags().StringVar(&o.format, "to", "", "format of the -o file: duo, entra, privacyidea, pskc... (see tokenctl formats)")
	o.pskc = pskcFlags(c)
}

// preflight opens the output (convert.Output) and checks, before the
// token is touched, that it can take a token like t.
func (o *t2Output) preflight(t *seed.Token) error {
	if o.path == "" {
		if o.format != "" {
			return usagef("--to %s without -o FILE", o.format)
		}
		return nil
	}
	if o.format == "" {
		return usagef("-o %s: give its format with --to (duo, entra, ...)", o.path)
	}
	opts := &convert.Options{Manufacturer: "Token2", Model: t.Model, Kind: t.Kind, Digits: t.EffectiveDigits(), Period: t.Period}
	if err := o.pskc(opts); err != nil {
		return err
	}
	out, err := convert.OpenOutput(o.path, o.format, opts)
	if err != nil {
		return usagef("--to %q: %v", o.format, err)
	}
	o.out = out
	if err := out.Preflight(t); err != nil {
		return fmt.Errorf("-o %s --to %s: %w; nothing was written to the token", o.path, o.format, err)
	}
	return nil
}

// prepare checks the token's serial against the output and encodes it.
func (o *t2Output) prepare(t *seed.Token) error {
	if o.out == nil {
		return nil
	}
	if err := o.out.Prepare(t); err != nil {
		return fmt.Errorf("-o %s cannot take token %s: %w; nothing was written to the token", o.path, t.Serial, err)
	}
	return nil
}

func (o *t2Output) close() {
	if o.out != nil {
		o.out.Close()
	}
}

func newToken2BurnCmd(f *factory) *cobra.Command {
	var (
		conn     t2Conn
		settings t2Settings
		sec      t2Secret
		out      t2Output
		generate bool
		length   int
	)
	c := &cobra.Command{
		Use:   "burn",
		Short: "Write a seed, TOTP settings and the clock into a token, and record it in a seed file",
		Long: `Burn one token: read its serial, check the model, authenticate, write the
configuration (clock, hash, period, display timeout), then the seed: five
APDUs in all. The seed comes from --secret-file (or '-' for standard input)
or --secret-env as base32 or hex, or is generated (--generate, 20 bytes
unless --length). The clock is the host's, or --time.

With -o FILE --to FORMAT the token is appended to a seed file in any
writable format (Duo, Entra, privacyIDEA, PSKC...) once the token has
confirmed both writes. --generate needs -o: burn never prints a seed, and
the token cannot give it back. Everything about the file is checked before
the first write to the token (format rules, a 0600 file we can append to,
a trial append with the token's serial); if the file still cannot be
written afterwards, a generated seed is saved to a 0600 rescue file, its
name printed, and the exit code is 3: the token holds a seed the file does
not. The serial is printed on standard output.`,
		Example: `  tokenctl token2 burn --generate -o duo.csv --to duo
  tokenctl token2 burn --secret-file seed.b32 --period 60 -o entra.csv --to entra
  tokenctl token2 burn --wait=60s --generate --length 32 --hash sha256 --period 60 -o tokens.pskc --to pskc --json`,
		Args: t2NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			p, err := settings.params()
			if err != nil {
				return err
			}
			if generate == sec.src.IsSet() {
				return usagef("give the seed with --secret-file or --secret-env, or --generate (exactly one)")
			}
			if c.Flags().Changed("length") && !generate {
				return usagef("--length goes with --generate")
			}
			var secret []byte
			if generate {
				if length < token2.MinSeedLen || length > token2.MaxSeedLen {
					return usagef("--length %d: Token2 tokens take %d to %d bytes", length, token2.MinSeedLen, token2.MaxSeedLen)
				}
				if out.path == "" {
					// burn prints no seed (only the serial and settings),
					// and the token cannot give it back.
					return usagef("--generate without -o FILE --to FORMAT would burn a seed that is kept nowhere: record it with -o FILE --to FORMAT, or make it first (tokenctl seed generate ... -o F) and burn it with --secret-file")
				}
				if secret, err = seed.Generate(length); err != nil {
					return err
				}
			} else if secret, err = sec.read(); err != nil {
				return err
			}
			defer seed.Zero(secret)
			tok := &seed.Token{Kind: seed.TOTP, Hash: p.Hash, Digits: 6, Period: p.Period, Manufacturer: "Token2", Model: "Token2", Serial: token2.Models[0].Prefix + "0000", Secret: secret}
			defer out.close()
			if err := out.preflight(tok); err != nil {
				return err
			}

			ctx, stop := interruptible(c.Context())
			defer stop()
			t2, err := conn.open(ctx, f, true)
			if err != nil {
				return err
			}
			defer t2.Close()
			info, host := t2.Info, t2.HostTime
			tok.Serial, tok.Model = info.Serial, info.Model.Name
			if err := out.prepare(tok); err != nil {
				return err
			}
			if p.Time.IsZero() {
				// The token keeps whole seconds: the nearest one.
				p.Time = time.Now().Round(time.Second)
			}
			if _, err := t2.Session.Burn(secret, p); err != nil {
				return err
			}
			t2.Close()

			r := token2BurnReport{
				Serial: info.Serial, Model: info.Model.Name, Sync: info.Model.SyncClass(), Hash: p.Hash.String(),
				Period: p.Period, Display: int(p.Display), Clock: p.Time.UTC().Truncate(time.Second),
				PrevOffset: info.Clock.Unix() - host.Unix(), Reader: t2.Reader, Output: out.path, Format: out.format,
			}
			if r.Display == 0 {
				r.Display = 30
			}
			if out.out != nil {
				given := ""
				if !generate {
					given = sec.src.Name()
				}
				if err := f.record(out.out, "token "+info.Serial, given); err != nil {
					return err
				}
			}
			if f.JSON {
				return writeJSON(f.Out, r)
			}
			fmt.Fprintln(c.OutOrStdout(), info.Serial)
			summary := fmt.Sprintf("burned %s (%s, %s): TOTP %s/%d s, 6 digits, display %d s, clock set to %s (was %s)",
				info.Serial, info.Model.Name, r.Sync, r.Hash, r.Period, r.Display, r.Clock.Format(time.RFC3339), t2Offset(r.PrevOffset))
			if out.path != "" {
				summary += fmt.Sprintf("; appended to %s (%s)", out.path, out.format)
			}
			fmt.Fprintln(c.ErrOrStderr(), summary)
			return nil
		},
	}
	conn.add(c)
	settings.add(c, false)
	sec.add(c)
	out.add(c)
	c.Flags().BoolVar(&generate, "generate", false, "generate a random seed")
	c.Flags().IntVar(&length, "length", 20, "seed length in bytes with --generate (10..63)")
	return c
}

// --- sync ---

type token2SyncReport struct {
	Serial     string    `json:"serial"`
	Model      string    `json:"model"`
	Sync       string    `json:"time_sync"`
	Hash       string    `json:"hash"`
	Period     int       `json:"period"`
	Clock      time.Time `json:"clock_set"`
	PrevOffset int64     `json:"previous_offset_seconds"`
	Reburned   bool      `json:"reburned"`
	Reader     string    `json:"reader"`
}

func newToken2SyncCmd(f *factory) *cobra.Command {
	var (
		conn        t2Conn
		settings    t2Settings
		sec         t2Secret
		seeds       string
		seedsFormat string
		reburn      bool
		pskc        func(o *convert.Options) error
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
			p, err := settings.params()
			if err != nil {
				return err
			}
			if seeds == "" && (p.Period == 0 || settings.hash == "") {
				return usagef("give --hash and --period (the token cannot report them, and a wrong guess breaks it), or --seeds FILE listing the token")
			}
			if sec.src.IsSet() && !reburn {
				return usagef("--secret-file/--secret-env go with --reburn")
			}
			if reburn && !sec.src.IsSet() && seeds == "" {
				return usagef("--reburn needs the seed: --secret-file, --secret-env or --seeds FILE")
			}
			var secret []byte
			if reburn && sec.src.IsSet() {
				if secret, err = sec.read(); err != nil {
					return err
				}
				defer seed.Zero(secret)
			}
			var seedOpts *convert.Options
			keeps := false // the --seeds file records hash and step
			format := seedsFormat
			if seeds != "" {
				seedOpts = &convert.Options{Kind: seed.TOTP}
				if err := pskc(seedOpts); err != nil {
					return err
				}
				if format == "" {
					if format, err = t2DetectFormat(seeds); err != nil {
						return err
					}
				}
				if f, ok := convert.Lookup(format); ok {
					format, keeps = f.Name, f.TOTPSettings
				}
				var need []string
				if !keeps && settings.hash == "" {
					need = append(need, "--hash")
				}
				if !keeps && settings.period == "" {
					need = append(need, "--period")
				}
				if len(need) > 0 {
					return usagef("--seeds %s is a %s file, which does not record a token's hash and time step: give %s (nothing was sent to the token)", seeds, format, strings.Join(need, " and "))
				}
				// Read it now: a bad file stops us before the token is touched.
				all, err := convert.ReadAll(seeds, format, seedOpts)
				if err != nil {
					return fmt.Errorf("--seeds %s: %w", seeds, err)
				}
				for _, t := range all {
					t.Wipe()
				}
			}

			ctx, stop := interruptible(c.Context())
			defer stop()
			t2, err := conn.open(ctx, f, true)
			if err != nil {
				return err
			}
			defer t2.Close()
			info, host := t2.Info, t2.HostTime
			if info.Model.Restricted && !reburn {
				return exitcode.DataErr(fmt.Errorf("token %s is an %s, a restricted model: a time sync erases its seed, so nothing was written; to sync it anyway, write the seed again with --reburn --secret-file F (or --reburn --seeds FILE)", info.Serial, info.Model.Name))
			}
			if seeds != "" {
				rec, err := convert.FindSerial(seeds, format, seedOpts, info.Serial)
				switch {
				case errors.Is(err, convert.ErrNotFound):
					return fmt.Errorf("--seeds %s does not list serial %s: give --hash and --period; nothing was written", seeds, info.Serial)
				case err != nil:
					return fmt.Errorf("--seeds: %w; nothing was written", err)
				}
				defer rec.Wipe()
				if rec.Kind != seed.TOTP {
					return exitcode.DataErr(fmt.Errorf("--seeds %s: serial %s is a %s token, not TOTP; nothing was written", seeds, info.Serial, rec.Kind))
				}
				// Hash and period come from the file only when its format
				// records them; otherwise from --hash and --period, which
				// were then required above.
				if keeps {
					if settings.hash != "" && p.Hash != rec.Hash {
						return exitcode.DataErr(fmt.Errorf("--hash %s but %s lists serial %s as %s; nothing was written", p.Hash, seeds, info.Serial, rec.Hash))
					}
					if rec.Hash != seed.SHA1 && rec.Hash != seed.SHA256 {
						return exitcode.DataErr(fmt.Errorf("--seeds %s lists serial %s as %s, which Token2 tokens cannot do (SHA-1 or SHA-256); nothing was written", seeds, info.Serial, rec.Hash))
					}
					p.Hash = rec.Hash
					if p.Period != 0 && p.Period != rec.EffectivePeriod() {
						return exitcode.DataErr(fmt.Errorf("--period %d but %s lists serial %s with %d s; nothing was written", p.Period, seeds, info.Serial, rec.EffectivePeriod()))
					}
					if n := rec.EffectivePeriod(); n != 30 && n != 60 {
						return exitcode.DataErr(fmt.Errorf("--seeds %s lists serial %s with a %d s step, which Token2 tokens cannot do (30 or 60 s); nothing was written", seeds, info.Serial, n))
					}
					p.Period = rec.EffectivePeriod()
				}
				if reburn && secret == nil {
					secret = append([]byte(nil), rec.Secret...)
					defer seed.Zero(secret)
				}
			}
			if reburn && secret == nil {
				return usagef("--reburn: no seed for serial %s", info.Serial)
			}
			if p.Time.IsZero() {
				// The token keeps whole seconds: the nearest one.
				p.Time = time.Now().Round(time.Second)
			}
			var reburnSeed []byte
			if reburn {
				reburnSeed = secret
			}
			if _, err := t2.Session.Sync(p, reburnSeed); err != nil {
				return err
			}
			r := token2SyncReport{
				Serial: info.Serial, Model: info.Model.Name, Sync: info.Model.SyncClass(), Hash: p.Hash.String(), Period: p.Period,
				Clock: p.Time.UTC().Truncate(time.Second), PrevOffset: info.Clock.Unix() - host.Unix(), Reburned: reburn, Reader: t2.Reader,
			}
			if f.JSON {
				return writeJSON(f.Out, r)
			}
			what := "synced"
			if reburn {
				what = "synced and re-burned"
			}
			fmt.Fprintf(c.OutOrStdout(), "%s %s (%s): clock set to %s (was %s), TOTP %s/%d s\n", what, info.Serial, info.Model.Name, r.Clock.Format(time.RFC3339), t2Offset(r.PrevOffset), r.Hash, r.Period)
			return nil
		},
	}
	conn.add(c)
	settings.add(c, true)
	sec.add(c)
	c.Flags().StringVar(&seeds, "seeds", "", "seed file listing the token: its hash and period (and seed, with --reburn) are taken from there")
	c.Flags().StringVar(&seedsFormat, "seeds-format", "", "format of the --seeds file (default: detected)")
	c.Flags().BoolVar(&reburn, "reburn", false, "write the seed again right after the clock (required on restricted models)")
	pskc = pskcFlags(c)
	return c
}

// t2DetectFormat names the format of a seed file from its first bytes.
func t2DetectFormat(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", exitcode.DataErr(err)
	}
	defer f.Close()
	head := make([]byte, 4096)
	n, _ := io.ReadFull(bufio.NewReader(f), head)
	ff, err := convert.Detect(head[:n])
	switch {
	case errors.Is(err, convert.ErrUnknownFormat):
		return "", exitcode.DataErr(fmt.Errorf("--seeds %s: not a seed file format tokenctl recognises (if it is one, give --seeds-format)", path))
	case err != nil:
		return "", usagef("--seeds %s: %v: give --seeds-format (duo-totp, entra, pskc...)", path, err)
	}
	return ff.Name, nil
}
