package convert

import (
	"fmt"
	"io"
	"strings"

	"github.com/tokenctl/tokenctl/seed"
)

// Generate writes the fresh tokens of g to path ("" or "-": o.Stdout) in
// format, as WriteStream does (0600, through a temporary file, nothing
// written on any problem). The target's rules are applied first to a
// sample token: one the target cannot take (Duo: SHA-1 only; Entra: TOTP
// only...) is a *UsageError naming each broken rule, said once before any
// seed is made rather than once per row.
func Generate(path, format string, g *seed.Generator, o *Options) (*Report, error) {
	sample := g.Proto
	sample.Serial, sample.Secret = g.Serial(0), make([]byte, g.Bytes)
	probs, err := Check(format, &sample)
	if err != nil {
		return nil, err
	}
	f, _ := Lookup(format)
	var msgs []string
	for _, p := range probs {
		if !p.Warning {
			msgs = append(msgs, fmt.Sprintf("--to %s: %s: %s", f.Name, p.Field, p.Msg))
		}
	}
	if len(msgs) > 0 {
		return nil, usage("%s", strings.Join(msgs, "\n"))
	}
	rep, err := WriteStream(path, f.Name, g, "generated", o)
	if err == nil {
		err = g.Err()
	}
	return rep, err
}

// GenerateSpec is a request for fresh seeds as a person makes it (the
// flags of tokenctl seed generate): Spec.Generator checks it, and its
// errors are *UsageError naming the flag at fault.
type GenerateSpec struct {
	To           string // the output format
	Count        int    // 0 with Serials: one token per serial
	Bytes        int    // secret length; not Given: the hash's default
	Kind, Hash   string // totp or hotp; sha1, sha256 or sha512
	Digits       int    // 6 or 8
	Period       int    // TOTP: 30 or 60
	Counter      uint64 // HOTP: the initial counter
	Serials      string // a file of serials, one a line ("-": Stdin)
	Stdin        io.Reader
	Pattern      seed.SerialPattern // numbered serials, without Serials
	Manufacturer string
	Model        string
	// Given says which of the flags period, counter, bytes, serial-prefix,
	// serial-start and serial-width were given (nil: none).
	Given func(flag string) bool
}

// Generator checks s against what the output format and the hardware
// take, and returns the output format and the stream of tokens.
func (s *GenerateSpec) Generator() (*Format, *seed.Generator, error) {
	given := s.Given
	if given == nil {
		given = func(string) bool { return false }
	}
	if s.To == "" {
		return nil, nil, usage("--to is required: the output format (see 'tokenctl formats')")
	}
	format, ok := Lookup(s.To)
	switch {
	case !ok:
		return nil, nil, usage("--to %q: unknown format (see 'tokenctl formats')", s.To)
	case format.Create == nil:
		return nil, nil, usage("--to %s: tokenctl can read this format but not write it", format.Name)
	}
	kind, err := seed.ParseOATHKind(s.Kind)
	if err != nil {
		return nil, nil, usage("--kind %v", err)
	}
	h, err := seed.ParseHash(s.Hash)
	if err != nil {
		return nil, nil, usage("--hash: %v", err)
	}
	if err := seed.CheckDigits(s.Digits, true); err != nil {
		return nil, nil, usage("--digits %v", err)
	}
	switch {
	case kind == seed.TOTP && seed.CheckPeriod(s.Period, true) != nil:
		return nil, nil, usage("--period %v", seed.CheckPeriod(s.Period, true))
	case kind == seed.HOTP && given("period"):
		return nil, nil, usage("--period applies to TOTP tokens")
	case kind == seed.TOTP && given("counter"):
		return nil, nil, usage("--counter applies to HOTP tokens")
	}
	g := &seed.Generator{Bytes: s.Bytes, Count: s.Count, Pattern: s.Pattern,
		Proto: seed.Token{Kind: kind, Hash: h, Digits: s.Digits, Manufacturer: s.Manufacturer, Model: s.Model}}
	if kind == seed.TOTP {
		g.Proto.Period = s.Period
	} else {
		g.Proto.Counter = s.Counter
	}
	if !given("bytes") {
		g.Bytes = h.DefaultSecretLen()
	}
	switch {
	case g.Bytes < 10 || g.Bytes > seed.MaxSecretLen:
		return nil, nil, usage("--bytes %d: want 10..%d (RFC 4226 asks for at least 16, recommends 20)", g.Bytes, seed.MaxSecretLen)
	case s.Count < 0 || s.Count > seed.MaxGenerate:
		return nil, nil, usage("--count %d: want 1..%d", s.Count, seed.MaxGenerate)
	case s.Pattern.Width < 0 || s.Pattern.Width > 40:
		return nil, nil, usage("--serial-width %d: want 0..40", s.Pattern.Width)
	}
	switch {
	case s.Serials != "":
		if given("serial-start") || given("serial-width") {
			return nil, nil, usage("--serial-start and --serial-width go with --serial-prefix")
		}
		if g.Serials, err = seed.ReadSerials(s.Serials, s.Stdin); err != nil {
			return nil, nil, err
		}
		if g.Count == 0 {
			g.Count = len(g.Serials)
		} else if g.Count != len(g.Serials) {
			return nil, nil, usage("--count %d, but %s holds %d serials", s.Count, s.Serials, len(g.Serials))
		}
	case given("serial-prefix"):
		if s.Count == 0 {
			return nil, nil, usage("--count is required with --serial-prefix")
		}
		if err := s.Pattern.Check(s.Count); err != nil {
			return nil, nil, usage("--serial-%v", err)
		}
	default:
		return nil, nil, usage("no serials: give --serials FILE or --serial-prefix P (with --count N)")
	}
	if g.Count == 0 {
		return nil, nil, usage("--count 0: nothing to generate")
	}
	return format, g, nil
}

// GenerateReport says what GenerateReported wrote (tokenctl seed generate
// --json): the tokens' parameters, never a secret.
type GenerateReport struct {
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

	problems, warnings []*seed.FieldError
	failed             bool
}

// GenerateReported is Generate, keeping the problems and warnings met
// (o.OnProblem still sees each) in the report, which is never nil.
func GenerateReported(path, format string, g *seed.Generator, o *Options) (*GenerateReport, error) {
	t := g.Proto
	r := &GenerateReport{Count: g.Count, Format: format, Output: path, Kind: t.Kind.String(), Hash: t.Hash.String(),
		Digits: t.Digits, Period: t.Period, SecretBytes: g.Bytes, FirstSerial: g.Serial(0), LastSerial: g.Serial(g.Count - 1),
		Warnings: []string{}}
	if f, ok := Lookup(format); ok {
		r.Format = f.Name
	}
	if t.Kind == seed.HOTP {
		r.Counter = &t.Counter
	}
	opts := Options{}
	if o != nil {
		opts = *o
	}
	opts.OnProblem = func(fe *seed.FieldError) {
		if fe.Warning {
			r.warnings, r.Warnings = append(r.warnings, fe), append(r.Warnings, fe.Error())
		} else {
			r.problems = append(r.problems, fe)
		}
		if o != nil && o.OnProblem != nil {
			o.OnProblem(fe)
		}
	}
	_, err := Generate(path, format, g, &opts)
	r.failed = err != nil
	return r, err
}

// WriteProblems writes, for people, the first 20 problems that stopped
// the generation, or after a success the first warning, and how many more
// there are.
func (r *GenerateReport) WriteProblems(w io.Writer) {
	list, more, max := r.problems, "... and %d more\n", 20
	if !r.failed {
		list, more, max = r.warnings, "... and %d more warnings\n", 1
	}
	for i, p := range list {
		if i == max {
			fmt.Fprintf(w, more, len(list)-max)
			break
		}
		fmt.Fprintln(w, p)
	}
}

// String says what was written: "wrote 50 totp sha1 seeds (20 bytes) to
// duo.csv (duo)".
func (r *GenerateReport) String() string {
	return fmt.Sprintf("wrote %d %s %s seeds (%d bytes) to %s (%s)", r.Count, r.Kind, r.Hash, r.SecretBytes, r.Output, r.Format)
}
