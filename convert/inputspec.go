package convert

import (
	"github.com/tokenctl/tokenctl/csvfmt"
	"github.com/tokenctl/tokenctl/seed"
)

// InputSpec is how a person says seed files are to be read (the flags
// --secret-encoding, --encoding, --kind, --digits, --period,
// --manufacturer and --model of tokenctl convert, validate and ledger
// import): values as typed, zero for "as the format says".
type InputSpec struct {
	SecretEncoding string // hex or base32
	Charset        string // auto (""), utf-8, utf-16 or windows-1252
	Kind           string // totp or hotp
	Digits         int    // 6 or 8
	Period         int    // TOTP step, seconds
	Manufacturer   string
	Model          string
}

// Apply checks s and sets the reading options of o from it. Errors are
// *UsageError naming the flag at fault.
func (s InputSpec) Apply(o *Options) error {
	if s.SecretEncoding != "" {
		e, err := seed.ParseEncoding(s.SecretEncoding)
		if err != nil || e == seed.Base64 {
			return usage("--secret-encoding %q: want hex or base32", s.SecretEncoding)
		}
		o.SecretEncoding = e
	}
	cs, err := csvfmt.ParseCharset(s.Charset)
	if err != nil {
		return usage("--encoding: %v", err)
	}
	if s.Kind != "" {
		if o.Kind, err = seed.ParseOATHKind(s.Kind); err != nil {
			return usage("--kind %v", err)
		}
	}
	if err := seed.CheckDigits(s.Digits, true); err != nil && s.Digits != 0 {
		return usage("--digits %v", err)
	}
	if err := seed.CheckPeriod(s.Period, false); err != nil && s.Period != 0 {
		return usage("--period %v", err)
	}
	o.Charset, o.Digits, o.Period = cs, s.Digits, s.Period
	o.Manufacturer, o.Model = s.Manufacturer, s.Model
	return nil
}
