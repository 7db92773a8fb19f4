package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/tokenctl/tokenctl/convert"
	"github.com/tokenctl/tokenctl/internal/exitcode"
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
	fromFile := in.seeds != "" || in.serial != ""
	if fromFile && in.secret.IsSet() {
		return nil, usagef("give either --secret-file/--secret-env or --serial with --seeds, not both")
	}
	if !fromFile && !in.secret.IsSet() {
		return nil, usagef("no token given: use --secret-file FILE, --secret-env VAR, or --serial S --seeds FILE")
	}
	var counter uint64
	if in.counter != "" {
		n, err := strconv.ParseUint(in.counter, 10, 64)
		if err != nil {
			return nil, usagef("--counter %q: not a non-negative integer", in.counter)
		}
		counter = n
		if in.at != "" {
			return nil, usagef("--counter (HOTP) and --time (TOTP) exclude each other")
		}
	}
	if fromFile {
		if in.serial == "" || in.seeds == "" {
			return nil, usagef("--serial and --seeds go together")
		}
		if c.Flags().Changed("hash") {
			return nil, usagef("--hash applies to --secret-file/--secret-env; a seed file states the token's own")
		}
		t, err := in.fromSeeds(c)
		if err != nil {
			return nil, err
		}
		if t.Kind == seed.KindUnknown {
			t.Wipe()
			return nil, usagef("%s does not say whether serial %s is TOTP or HOTP: give --kind", in.seeds, in.serial)
		}
		if t.Kind != seed.HOTP && t.Kind != seed.TOTP {
			t.Wipe()
			return nil, exitcode.DataErr(fmt.Errorf("%s: serial %s is a %s token, which has no OATH code", in.seeds, in.serial, t.Kind))
		}
		if in.counter != "" {
			if t.Kind != seed.HOTP {
				t.Wipe()
				return nil, usagef("--counter: serial %s is a TOTP token", in.serial)
			}
			t.Counter = counter
		}
		if in.at != "" && t.Kind != seed.TOTP {
			t.Wipe()
			return nil, usagef("--time: serial %s is an HOTP token (use --counter)", in.serial)
		}
		return t, nil
	}
	if c.Flags().Changed("from") {
		return nil, usagef("--from applies to --seeds")
	}
	kind := seed.TOTP
	if in.counter != "" {
		kind = seed.HOTP
	}
	if in.kind != "" {
		k, err := seed.ParseKind(in.kind)
		switch {
		case err != nil || (k != seed.TOTP && k != seed.HOTP):
			return nil, usagef("--kind %q: want totp or hotp", in.kind)
		case k == seed.HOTP && in.counter == "":
			return nil, usagef("--kind hotp: give the counter with --counter N")
		case k == seed.TOTP && in.counter != "":
			return nil, usagef("--kind totp and --counter exclude each other")
		}
	}
	if kind == seed.HOTP && c.Flags().Changed("period") {
		return nil, usagef("--period applies to TOTP (the token is HOTP because of --counter)")
	}
	enc, err := seed.ParseEncoding(in.encoding)
	if err != nil {
		return nil, exitcode.UsageErr(fmt.Errorf("--encoding: %w", err))
	}
	h, err := seed.ParseHash(in.hash)
	if err != nil {
		return nil, exitcode.UsageErr(fmt.Errorf("--hash: %w", err))
	}
	if in.digits < 6 || in.digits > 8 {
		return nil, usagef("--digits %d: want 6, 7 or 8", in.digits)
	}
	if in.period < 1 || in.period > 3600 {
		return nil, usagef("--period %d: want 1..3600 seconds (30 or 60 on real tokens)", in.period)
	}
	text, err := in.secret.Read()
	if err != nil {
		return nil, exitcode.DataErr(err)
	}
	b, err := enc.Decode(text)
	if err != nil {
		return nil, exitcode.DataErr(fmt.Errorf("%s: %w (is it %s? see --encoding)", in.secretName(), err, otherEncodings(enc)))
	}
	if len(b) == 0 {
		return nil, exitcode.DataErr(fmt.Errorf("%s: empty secret", in.secretName()))
	}
	t := &seed.Token{Kind: seed.TOTP, Hash: h, Digits: in.digits, Period: in.period, Secret: b}
	if in.counter != "" {
		t.Kind, t.Counter = seed.HOTP, counter
	}
	return t, nil
}

// token is resolve and the time to compute at: --time, checked before any
// secret is read, or the moment the secret has been read (it may be typed
// on standard input).
func (in *tokenInput) token(c *cobra.Command) (*seed.Token, time.Time, error) {
	at, err := parseTime(in.at)
	if err != nil {
		return nil, time.Time{}, err
	}
	t, err := in.resolve(c)
	if in.at == "" {
		at = time.Now()
	}
	return t, at, err
}

func otherEncodings(e seed.Encoding) string {
	if e == seed.Base32 {
		return "hex"
	}
	return "base32"
}

func (in *tokenInput) secretName() string {
	switch {
	case in.secret.File == "-":
		return "standard input"
	case in.secret.File != "":
		return in.secret.File
	}
	return "$" + in.secret.Env
}

// fromSeeds reads the whole seed file and returns the one token with the
// serial. Problems on other rows do not matter; a serial found twice does.
func (in *tokenInput) fromSeeds(c *cobra.Command) (*seed.Token, error) {
	var r io.Reader
	name := in.seeds
	if in.seeds == "-" {
		r, name = c.InOrStdin(), "standard input"
	} else {
		f, err := os.Open(in.seeds)
		if err != nil {
			return nil, exitcode.DataErr(err)
		}
		defer f.Close()
		r = f
	}
	br := bufio.NewReaderSize(r, 64<<10)
	var opts convert.Options
	if in.kind != "" {
		k, err := seed.ParseKind(in.kind)
		if err != nil || (k != seed.TOTP && k != seed.HOTP) {
			return nil, usagef("--kind %q: want totp or hotp", in.kind)
		}
		opts.Kind = k
	}
	if c.Flags().Changed("digits") {
		if in.digits < 6 || in.digits > 8 {
			return nil, usagef("--digits %d: want 6, 7 or 8", in.digits)
		}
		opts.Digits = in.digits
	}
	if c.Flags().Changed("period") {
		if in.period < 1 || in.period > 3600 {
			return nil, usagef("--period %d: want 1..3600 seconds (30 or 60 on real tokens)", in.period)
		}
		opts.Period = in.period
	}
	if c.Flags().Changed("encoding") {
		enc, err := seed.ParseEncoding(in.encoding)
		if err != nil {
			return nil, exitcode.UsageErr(fmt.Errorf("--encoding: %w", err))
		}
		opts.SecretEncoding = enc
	}
	if err := in.pskc(&opts); err != nil {
		return nil, exitcode.UsageErr(err)
	}
	format, err := inputFormat(in.from, br, name)
	if err != nil {
		return nil, err
	}
	rd, err := format.Open(br, name, &opts)
	if err != nil {
		return nil, exitcode.DataErr(err)
	}
	var (
		found     *seed.Token
		foundLine int
		read      int
		bad       []error
	)
	for {
		t, line, err := rd.Read()
		if err == io.EOF {
			break
		}
		if err != nil && t == nil {
			var fe *seed.FieldError
			if !errors.As(err, &fe) && !isProblemList(err) {
				if found != nil {
					found.Wipe()
				}
				return nil, exitcode.DataErr(fmt.Errorf("reading %s: %w", name, err))
			}
			bad = append(bad, err)
			continue
		}
		read++
		if t.Serial != in.serial {
			t.Wipe()
			if err != nil && !onlyWarnings(err) {
				bad = append(bad, err)
			}
			continue
		}
		if err != nil && !onlyWarnings(err) {
			t.Wipe()
			if found != nil {
				found.Wipe()
			}
			return nil, exitcode.DataErr(fmt.Errorf("serial %s cannot be used:\n%w", in.serial, err))
		}
		if found != nil {
			t.Wipe()
			found.Wipe()
			return nil, exitcode.DataErr(fmt.Errorf("%s:%d: serial: %s appears again (first on line %d); which one is the token?", name, line, in.serial, foundLine))
		}
		found, foundLine = t, line
	}
	if found == nil && read == 0 && len(bad) > 0 {
		return nil, exitcode.DataErr(fmt.Errorf("no token could be read: %w", bad[0]))
	}
	if found == nil {
		msg := fmt.Sprintf("%s: serial %s not found", name, in.serial)
		if len(bad) > 0 {
			msg += fmt.Sprintf(" (%d records could not be read, the first: %v)", len(bad), bad[0])
		}
		return nil, exitcode.DataErr(errors.New(msg))
	}
	return found, nil
}

// isProblemList reports an error that is a list of *seed.FieldError.
func isProblemList(err error) bool {
	l, ok := err.(interface{ Unwrap() []error })
	if !ok {
		return false
	}
	for _, e := range l.Unwrap() {
		var fe *seed.FieldError
		if !errors.As(e, &fe) {
			return false
		}
	}
	return true
}

// onlyWarnings reports whether every problem in err is a warning.
func onlyWarnings(err error) bool {
	if l, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range l.Unwrap() {
			if !onlyWarnings(e) {
				return false
			}
		}
		return true
	}
	var fe *seed.FieldError
	return errors.As(err, &fe) && fe.Warning
}

// parseTime reads --time: RFC 3339 or Unix seconds (optionally '@'-prefixed).
func parseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Now(), nil
	}
	u := strings.TrimPrefix(s, "@")
	if n, err := strconv.ParseInt(u, 10, 64); err == nil {
		if n < 0 {
			return time.Time{}, usagef("--time %q: before 1970", s)
		}
		return time.Unix(n, 0), nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, usagef("--time %q: want RFC 3339 (2026-01-02T15:04:05Z) or Unix seconds", s)
	}
	if t.Unix() < 0 {
		return time.Time{}, usagef("--time %q: before 1970", s)
	}
	return t, nil
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
		RunE: func(c *cobra.Command, _ []string) error {
			t, at, err := in.token(c)
			if err != nil {
				return err
			}
			defer t.Wipe()
			code, err := t.Code(at)
			if err != nil {
				return exitcode.DataErr(err)
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
		},
	}
	in.flags(c)
	return c
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
	var (
		in     tokenInput
		code   string
		window int
	)
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
		RunE: func(c *cobra.Command, _ []string) error {
			code = strings.Map(func(r rune) rune {
				if r == ' ' || r == '-' {
					return -1
				}
				return r
			}, code)
			if code == "" {
				return usagef("--code is required: the code the token shows")
			}
			if window < 0 || window > seed.MaxWindow {
				return usagef("--window %d: want 0..%d", window, seed.MaxWindow)
			}
			t, at, err := in.token(c)
			if err != nil {
				return err
			}
			defer t.Wipe()
			rep := checkReport{Serial: t.Serial, Kind: t.Kind.String()}
			var findErr error
			if t.Kind == seed.TOTP {
				if !c.Flags().Changed("window") {
					window = 10
				}
				p := t.EffectivePeriod()
				step := seed.TimeStep(at, p)
				rep.Time, rep.Period, rep.Step = at.UTC().Format(time.RFC3339), p, &step
				off, err := seed.FindTOTP(t.Secret, t.Hash, t.EffectiveDigits(), p, code, at, window)
				findErr = err
				if err == nil {
					drift := off * p
					rep.Match, rep.OffsetSteps, rep.DriftSeconds = true, &off, &drift
					rep.Message = totpDriftMessage(off, drift, in.at != "")
				} else {
					rep.Message = fmt.Sprintf("the code matches no step within %d steps (%d s) of %s", window, window*p, rep.Time)
				}
			} else {
				if !c.Flags().Changed("window") {
					window = 20
				}
				ctr := t.Counter
				rep.Counter = &ctr
				off, err := seed.FindHOTP(t.Secret, t.Hash, t.EffectiveDigits(), ctr, code, window)
				findErr = err
				if err == nil {
					m := ctr + uint64(off)
					next := m + 1
					rep.Match, rep.Offset, rep.MatchCounter, rep.NextCounter = true, &off, &m, &next
					rep.Message = hotpMessage(off, ctr, m)
				} else {
					rep.Message = fmt.Sprintf("the code matches no counter from %d to %d", ctr, ctr+uint64(window))
				}
			}
			rep.Window = window
			if findErr != nil && !errors.Is(findErr, seed.ErrNoMatch) {
				return exitcode.UsageErr(fmt.Errorf("--code: %w", findErr))
			}
			if f.JSON {
				if err := writeJSON(c.OutOrStdout(), rep); err != nil {
					return err
				}
			} else if rep.Match {
				fmt.Fprintln(c.OutOrStdout(), rep.Message)
			}
			if !rep.Match {
				return exitcode.DataErr(errors.New(rep.Message))
			}
			return nil
		},
	}
	in.flags(c)
	c.Flags().StringVar(&code, "code", "", "the code the token shows (spaces allowed)")
	c.Flags().IntVar(&window, "window", 0, "how far to search: TOTP steps either side (default 10), HOTP counters ahead (default 20)")
	return c
}

func totpDriftMessage(off, drift int, givenTime bool) string {
	where := "the current step"
	if givenTime {
		where = "the step of --time"
	}
	switch {
	case off == 0:
		return fmt.Sprintf("matches %s (0 s): the token's clock is right", where)
	case off < 0:
		return fmt.Sprintf("matches step %d (%d s): the token's clock is %d s slow", off, drift, -drift)
	}
	return fmt.Sprintf("matches step +%d (+%d s): the token's clock is %d s fast", off, drift, drift)
}

func hotpMessage(off int, from, m uint64) string {
	if off == 0 {
		return fmt.Sprintf("matches counter %d (offset 0): the token is in step; next code at counter %d", m, m+1)
	}
	return fmt.Sprintf("matches counter %d (offset +%d from %d): the token was pressed %d times without a login; next code at counter %d", m, off, from, off, m+1)
}
