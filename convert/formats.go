package convert

import (
	"io"

	"github.com/tokenctl/tokenctl/csvfmt"
	"github.com/tokenctl/tokenctl/seed"
)

// csvOptions maps the conversion options onto csvfmt's.
func csvOptions(o *Options) csvfmt.Options {
	if o == nil {
		return csvfmt.Options{}
	}
	return csvfmt.Options{Kind: o.Kind, Digits: o.Digits, Period: o.Period, SecretEncoding: o.SecretEncoding, Charset: o.Charset, Lint: o.lint, Append: o.appending}
}

// targetRules are the Check functions of the csvfmt formats, by name.
var targetRules = map[string]func(t *seed.Token) []*seed.FieldError{
	"entra":         checkEntra,
	"entra-graph":   checkEntraGraph,
	"duo":           checkDuo(seed.KindUnknown),
	"duo-hotp":      checkDuo(seed.HOTP),
	"duo-totp":      checkDuo(seed.TOTP),
	"duo-yubikey":   checkDuoYubiKey,
	"privacyidea":   checkPrivacyIDEA,
	"linotp":        checkLinOTP,
	"hex":           checkHex,
	"otpauth":       checkOTPAuth,
	"serial-secret": nil,
	"token2-ps":     nil,
}

func init() {
	for _, cf := range csvfmt.Formats() {
		cf := cf
		f := Format{
			Name: cf.Name, Aliases: cf.Aliases, Summary: cf.Summary, Sniff: cf.Sniff,
			Encoding: cf.Encoding, Appendable: cf.Appendable, TOTPSettings: cf.TOTPSettings, Check: targetRules[cf.Name],
		}
		if cf.Open != nil {
			f.Open = func(r io.Reader, file string, o *Options) (seed.Reader, error) {
				return cf.Open(r, file, csvOptions(o)), nil
			}
		}
		if cf.Create != nil {
			f.Create = func(w io.Writer, o *Options) (seed.Writer, error) {
				return cf.Create(w, csvOptions(o)), nil
			}
		}
		switch cf.Name {
		case "duo", "duo-hotp", "duo-totp":
			f.TypeKey = csvfmt.DuoType
		}
		Register(f)
	}
}
