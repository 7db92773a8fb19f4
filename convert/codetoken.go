package convert

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/tokenctl/tokenctl/internal/secretin"
	"github.com/tokenctl/tokenctl/seed"
)

// TokenSpec is one OATH token as a person names it to compute or check
// its codes (tokenctl code and check): a secret with its parameters, or a
// serial in a seed file, whose own parameters are used. Values are as
// typed; errors name the flags of those commands, and a request at fault
// is a *UsageError, so that nobody believes a --hash took effect on a
// token whose file says otherwise.
type TokenSpec struct {
	// The secret: a file ("-": Stdin) or an environment variable, written
	// in Encoding (base32, hex or base64), with Hash, Digits and Period.
	SecretFile, SecretEnv string
	Encoding, Hash        string
	Digits, Period        int
	// Or Serial in the seed file Seeds ("-": Stdin) of format From (""
	// detects it); Kind, Digits, Period and Encoding, when Given, fill
	// what the format leaves open. FileOptions, when set, fills the rest
	// of the reading options (a PSKC key) before the file is read.
	Serial, Seeds, From string
	FileOptions         func(*Options) error
	Kind                string // totp or hotp
	Counter             string // HOTP: the counter (overrides the file's)
	Time                string // TOTP: RFC 3339 or Unix seconds; "": now
	Stdin               io.Reader
	// Given says which of the flags digits, period, encoding, hash and
	// from were given (nil: none).
	Given func(flag string) bool
}

// Token checks s and returns the token, which the caller wipes, and the
// time to compute at: Time, checked before any secret is read, or else
// the moment the secret has been read (it may be typed on Stdin).
func (s *TokenSpec) Token() (*seed.Token, time.Time, error) {
	var at time.Time
	if s.Time != "" {
		var err error
		if at, err = seed.ParseTime(s.Time); err != nil {
			return nil, at, usage("--time %v", err)
		}
	}
	t, err := s.token()
	if s.Time == "" {
		at = time.Now()
	}
	return t, at, err
}

func (s *TokenSpec) token() (*seed.Token, error) {
	changed := s.Given
	if changed == nil {
		changed = func(string) bool { return false }
	}
	src := secretin.Source{File: s.SecretFile, Env: s.SecretEnv, In: s.Stdin}
	fromFile := s.Seeds != "" || s.Serial != ""
	var counter uint64
	var err error
	switch {
	case fromFile && src.IsSet():
		return nil, usage("give either --secret-file/--secret-env or --serial with --seeds, not both")
	case !fromFile && !src.IsSet():
		return nil, usage("no token given: use --secret-file FILE, --secret-env VAR, or --serial S --seeds FILE")
	case s.Counter != "" && s.Time != "":
		if _, err := strconv.ParseUint(s.Counter, 10, 64); err == nil {
			return nil, usage("--counter (HOTP) and --time (TOTP) exclude each other")
		}
	}
	if counter, err = strconv.ParseUint(s.Counter, 10, 64); s.Counter != "" && err != nil {
		return nil, usage("--counter %q: not a non-negative integer", s.Counter)
	}
	// What is given is checked; with a seed file, only what was given.
	var o Options
	if s.Kind != "" {
		if o.Kind, err = seed.ParseOATHKind(s.Kind); err != nil {
			return nil, usage("--kind %v", err)
		}
	}
	if err := seed.CheckDigits(s.Digits, false); err != nil && (!fromFile || changed("digits")) {
		return nil, usage("--digits %v", err)
	}
	if err := seed.CheckPeriod(s.Period, false); err != nil && (!fromFile || changed("period")) {
		return nil, usage("--period %v", err)
	}
	enc, err := seed.ParseEncoding(s.Encoding)
	if err != nil && (!fromFile || changed("encoding")) {
		return nil, usage("--encoding: %v", err)
	}
	if fromFile {
		switch {
		case s.Serial == "" || s.Seeds == "":
			return nil, usage("--serial and --seeds go together")
		case changed("hash"):
			return nil, usage("--hash applies to --secret-file/--secret-env; a seed file states the token's own")
		}
		if changed("digits") {
			o.Digits = s.Digits
		}
		if changed("period") {
			o.Period = s.Period
		}
		if changed("encoding") {
			o.SecretEncoding = enc
		}
		if s.FileOptions != nil {
			if err := s.FileOptions(&o); err != nil {
				return nil, err
			}
		}
		o.Stdin = s.Stdin
		return s.fromFile(&o, counter)
	}
	kind := seed.TOTP
	if s.Counter != "" {
		kind = seed.HOTP
	}
	switch {
	case changed("from"):
		return nil, usage("--from applies to --seeds")
	case o.Kind == seed.HOTP && s.Counter == "":
		return nil, usage("--kind hotp: give the counter with --counter N")
	case o.Kind == seed.TOTP && s.Counter != "":
		return nil, usage("--kind totp and --counter exclude each other")
	case kind == seed.HOTP && changed("period"):
		return nil, usage("--period applies to TOTP (the token is HOTP because of --counter)")
	}
	h, err := seed.ParseHash(s.Hash)
	if err != nil {
		return nil, usage("--hash: %v", err)
	}
	text, err := src.Read()
	if err != nil {
		return nil, err
	}
	name := "$" + s.SecretEnv
	if s.SecretFile != "" {
		name = map[bool]string{true: "standard input", false: s.SecretFile}[s.SecretFile == "-"]
	}
	b, err := seed.DecodeSecret(text, enc, name)
	if err != nil {
		return nil, err
	}
	return &seed.Token{Kind: kind, Hash: h, Digits: s.Digits, Period: s.Period, Secret: b, Counter: counter}, nil
}

// fromFile finds the serial (FindSerial) and checks that it has the OATH
// code asked for.
func (s *TokenSpec) fromFile(o *Options, counter uint64) (*seed.Token, error) {
	t, err := FindSerial(s.Seeds, s.From, o, s.Serial)
	if err != nil {
		return nil, err
	}
	switch {
	case t.Kind == seed.KindUnknown:
		err = usage("%s does not say whether serial %s is TOTP or HOTP: give --kind", s.Seeds, s.Serial)
	case t.Kind != seed.HOTP && t.Kind != seed.TOTP:
		err = fmt.Errorf("%s: serial %s is a %s token, which has no OATH code", s.Seeds, s.Serial, t.Kind)
	case s.Counter != "" && t.Kind != seed.HOTP:
		err = usage("--counter: serial %s is a TOTP token", s.Serial)
	case s.Time != "" && t.Kind != seed.TOTP:
		err = usage("--time: serial %s is an HOTP token (use --counter)", s.Serial)
	case s.Counter != "":
		t.Counter = counter
	}
	if err != nil {
		t.Wipe()
		return nil, err
	}
	return t, nil
}

// Code is the code of the token s names, at Time (TOTP) or at its counter
// (HOTP), with where it stands (seed.Token.CodeReport).
func (s *TokenSpec) Code() (*seed.CodeReport, error) {
	t, at, err := s.Token()
	if err != nil {
		return nil, err
	}
	defer t.Wipe()
	return t.CodeReport(at)
}

// Check finds where code, read off the token s names (spaces and dashes
// allowed), matches: within *window steps either side of Time (TOTP) or
// counters ahead of the counter (HOTP); a nil window is the kind's
// default (seed.Token.Match). A code that matches nothing is no error:
// the report's Match is false and its Message says what was searched.
func (s *TokenSpec) Check(code string, window *int) (*seed.CheckReport, error) {
	code = strings.NewReplacer(" ", "", "-", "").Replace(code)
	w := -1
	switch {
	case code == "":
		return nil, usage("--code is required: the code the token shows")
	case window != nil && (*window < 0 || *window > seed.MaxWindow):
		return nil, usage("--window %d: want 0..%d", *window, seed.MaxWindow)
	case window != nil:
		w = *window
	}
	t, at, err := s.Token()
	if err != nil {
		return nil, err
	}
	defer t.Wipe()
	m, err := t.Match(code, at, w)
	if err != nil {
		return nil, usage("--code: %v", err)
	}
	return m.Report(t.Serial, s.Time != ""), nil
}
