package main

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/tokenctl/tokenctl/convert"
	"github.com/tokenctl/tokenctl/internal/secretin"
	"github.com/tokenctl/tokenctl/seed"
)

// tokenInput is what "code" and "check" share: one OATH token, given as a
// secret with its parameters or as a serial in a seed file.
type tokenInput struct {
	secret   *secretin.Source
	encoding string
	hash     string
	digits   int
	period   int
	kind     string

	serial string
	seeds  string
	from   string
	pskc   func(o *convert.Options) error

	counter string // HOTP counter; "" = TOTP (or the file's counter)
	at      string // TOTP time; "" = now
}

func (in *tokenInput) flags(c *cobra.Command) {
	in.secret = secretFlags(c, "", "the seed")
	f := c.Flags()
	f.StringVar(&in.encoding, "encoding", "base32", "how the --secret-file/--secret-env text is written: base32, hex or base64; with --seeds, the encoding of a format that leaves it open")
	f.StringVar(&in.hash, "hash", "sha1", "HMAC hash of the token: sha1, sha256 or sha512")
	f.IntVar(&in.digits, "digits", 6, "code length: 6 or 8 (7 works too); with --seeds, for formats that do not say")
	f.IntVar(&in.period, "period", 30, "TOTP time step in seconds; with --seeds, for formats that do not say")
	f.StringVar(&in.serial, "serial", "", "the token's serial number in the --seeds file")
	f.StringVar(&in.seeds, "seeds", "", "seed file that holds --serial ('-' for standard input)")
	f.StringVar(&in.from, "from", "", "format of the --seeds file (see 'tokenctl formats'); detected when unambiguous")
	f.StringVar(&in.kind, "kind", "", "totp or hotp; with --seeds, for formats that do not say (duo, hex, token2-ps); with a secret, --counter means hotp")
	f.StringVar(&in.counter, "counter", "", "HOTP: the counter value (makes the token HOTP; with --seeds, overrides the file's counter)")
	f.StringVar(&in.at, "time", "", "TOTP: the time, RFC 3339 (2026-01-02T15:04:05Z) or Unix seconds; default now")
	in.pskc = pskcFlags(c)
}

// resolve builds the token. Flags that do not apply to the input chosen
// are usage errors, so that nobody believes a --hash took effect on a
// token whose file says otherwise.
func (in *tokenInput) resolve(c *cobra.Command) (*seed.Token, error) {
	fromFile, changed := in.seeds != "" || in.serial != "", c.Flags().Changed
	in.secret.In = c.InOrStdin()
	var counter uint64
	var err error
	switch {
	case fromFile && in.secret.IsSet():
		return nil, usagef("give either --secret-file/--secret-env or --serial with --seeds, not both")
	case !fromFile && !in.secret.IsSet():
		return nil, usagef("no token given: use --secret-file FILE, --secret-env VAR, or --serial S --seeds FILE")
	case in.counter != "" && in.at != "":
		if _, err := strconv.ParseUint(in.counter, 10, 64); err == nil {
			return nil, usagef("--counter (HOTP) and --time (TOTP) exclude each other")
		}
	}
	if counter, err = strconv.ParseUint(in.counter, 10, 64); in.counter != "" && err != nil {
		return nil, usagef("--counter %q: not a non-negative integer", in.counter)
	}
	// What is given is checked; with --seeds, only what was given.
	var o convert.Options
	if in.kind != "" {
		if o.Kind, err = seed.ParseOATHKind(in.kind); err != nil {
			return nil, usagef("--kind %v", err)
		}
	}
	if err := seed.CheckDigits(in.digits, false); err != nil && (!fromFile || changed("digits")) {
		return nil, usagef("--digits %v", err)
	}
	if err := seed.CheckPeriod(in.period, false); err != nil && (!fromFile || changed("period")) {
		return nil, usagef("--period %v", err)
	}
	enc, err := seed.ParseEncoding(in.encoding)
	if err != nil && (!fromFile || changed("encoding")) {
		return nil, usagef("--encoding: %v", err)
	}
	if fromFile {
		switch {
		case in.serial == "" || in.seeds == "":
			return nil, usagef("--serial and --seeds go together")
		case changed("hash"):
			return nil, usagef("--hash applies to --secret-file/--secret-env; a seed file states the token's own")
		}
		if changed("digits") {
			o.Digits = in.digits
		}
		if changed("period") {
			o.Period = in.period
		}
		if changed("encoding") {
			o.SecretEncoding = enc
		}
		if err := in.pskc(&o); err != nil {
			return nil, err
		}
		o.Stdin = c.InOrStdin()
		t, err := convert.FindSerial(in.seeds, in.from, &o, in.serial)
		if err != nil {
			return nil, err
		}
		switch {
		case t.Kind == seed.KindUnknown:
			err = usagef("%s does not say whether serial %s is TOTP or HOTP: give --kind", in.seeds, in.serial)
		case t.Kind != seed.HOTP && t.Kind != seed.TOTP:
			err = fmt.Errorf("%s: serial %s is a %s token, which has no OATH code", in.seeds, in.serial, t.Kind)
		case in.counter != "" && t.Kind != seed.HOTP:
			err = usagef("--counter: serial %s is a TOTP token", in.serial)
		case in.at != "" && t.Kind != seed.TOTP:
			err = usagef("--time: serial %s is an HOTP token (use --counter)", in.serial)
		case in.counter != "":
			t.Counter = counter
		}
		if err != nil {
			t.Wipe()
			return nil, err
		}
		return t, nil
	}
	kind := seed.TOTP
	if in.counter != "" {
		kind = seed.HOTP
	}
	switch {
	case changed("from"):
		return nil, usagef("--from applies to --seeds")
	case o.Kind == seed.HOTP && in.counter == "":
		return nil, usagef("--kind hotp: give the counter with --counter N")
	case o.Kind == seed.TOTP && in.counter != "":
		return nil, usagef("--kind totp and --counter exclude each other")
	case kind == seed.HOTP && changed("period"):
		return nil, usagef("--period applies to TOTP (the token is HOTP because of --counter)")
	}
	h, err := seed.ParseHash(in.hash)
	if err != nil {
		return nil, usagef("--hash: %v", err)
	}
	text, err := in.secret.Read()
	if err != nil {
		return nil, err
	}
	name := "$" + in.secret.Env
	if in.secret.File != "" {
		name = map[bool]string{true: "standard input", false: in.secret.File}[in.secret.File == "-"]
	}
	b, err := seed.DecodeSecret(text, enc, name)
	if err != nil {
		return nil, err
	}
	return &seed.Token{Kind: kind, Hash: h, Digits: in.digits, Period: in.period, Secret: b, Counter: counter}, nil
}

// token is resolve and the time to compute at: --time, checked before any
// secret is read, or the moment the secret has been read (it may be typed
// on standard input).
func (in *tokenInput) token(c *cobra.Command) (*seed.Token, time.Time, error) {
	var at time.Time
	if in.at != "" {
		var err error
		if at, err = seed.ParseTime(in.at); err != nil {
			return nil, at, usagef("--time %v", err)
		}
	}
	t, err := in.resolve(c)
	if in.at == "" {
		at = time.Now()
	}
	return t, at, err
}

type codeReport struct {
	Serial          string  `json:"serial,omitempty"`
	Kind            string  `json:"kind"`
	Code            string  `json:"code"`
	Time            string  `json:"time,omitempty"`
	Step            *uint64 `json:"step,omitempty"`
	Counter         *uint64 `json:"counter,omitempty"`
	ValidForSeconds int     `json:"valid_for_seconds,omitempty"`
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
	t, at, err := in.token(c)
	if err != nil {
		return err
	}
	defer t.Wipe()
	code, err := t.Code(at)
	if err != nil {
		return err
	}
	if !f.JSON {
		_, err := fmt.Fprintln(c.OutOrStdout(), code)
		return err
	}
	rep := codeReport{Serial: t.Serial, Kind: t.Kind.String(), Code: code}
	if t.Kind == seed.TOTP {
		p := t.EffectivePeriod()
		rep.Time = at.UTC().Format(time.RFC3339)
		step := seed.TimeStep(at, p)
		rep.Step = &step
		rep.ValidForSeconds = p - int(at.Unix()%int64(p))
	} else {
		rep.Counter = &t.Counter
	}
	return writeJSON(c.OutOrStdout(), rep)
}

type checkReport struct {
	Serial string `json:"serial,omitempty"`
	Kind   string `json:"kind"`
	Match  bool   `json:"match"`
	Window int    `json:"window"`
	// TOTP
	Time         string  `json:"time,omitempty"`
	Period       int     `json:"period,omitempty"`
	Step         *uint64 `json:"step,omitempty"`
	OffsetSteps  *int    `json:"offset_steps,omitempty"`
	DriftSeconds *int    `json:"drift_seconds,omitempty"`
	// HOTP
	Counter      *uint64 `json:"counter,omitempty"`
	Offset       *int    `json:"offset,omitempty"`
	MatchCounter *uint64 `json:"match_counter,omitempty"`
	NextCounter  *uint64 `json:"next_counter,omitempty"`
	Message      string  `json:"message"`
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
	o.code = strings.NewReplacer(" ", "", "-", "").Replace(o.code)
	if o.code == "" {
		return usagef("--code is required: the code the token shows")
	}
	if o.window < 0 || o.window > seed.MaxWindow {
		return usagef("--window %d: want 0..%d", o.window, seed.MaxWindow)
	}
	t, at, err := o.token(c)
	if err != nil {
		return err
	}
	defer t.Wipe()
	if !c.Flags().Changed("window") {
		o.window = -1 // the kind's default
	}
	m, err := t.Match(o.code, at, o.window)
	if err != nil {
		return usagef("--code: %v", err)
	}
	rep := checkReport{Serial: t.Serial, Kind: t.Kind.String(), Match: m.Found, Window: m.Window, Message: m.Message(o.at != "")}
	if t.Kind == seed.TOTP {
		rep.Time, rep.Period, rep.Step = at.UTC().Format(time.RFC3339), m.Period, &m.Step
		if off, drift := m.Offset, m.DriftSeconds(); m.Found {
			rep.OffsetSteps, rep.DriftSeconds = &off, &drift
		}
	} else if rep.Counter = &m.Counter; m.Found {
		mc, next := m.MatchCounter(), m.MatchCounter()+1
		rep.Offset, rep.MatchCounter, rep.NextCounter = &m.Offset, &mc, &next
	}
	if f.JSON {
		if err := writeJSON(c.OutOrStdout(), rep); err != nil {
			return err
		}
	} else if rep.Match {
		fmt.Fprintln(c.OutOrStdout(), rep.Message)
	}
	if !rep.Match {
		return errors.New(rep.Message)
	}
	return nil
}
