package molto2

import (
	"fmt"

	"github.com/tokenctl/tokenctl/seed"
)

// ProfileSerial is the serial a Molto2's profile is recorded under, in a
// seed file or a ledger, when the credential has none of its own: the
// device's serial and the profile number, DEVICE-PP.
func ProfileSerial(device string, profile int) string {
	return fmt.Sprintf("%s-%02d", device, profile)
}

// Name names tok as a seed file records profile of the device serial:
// made by Token2, model Molto2, under its own serial or else DEVICE-PP
// (ProfileSerial).
func Name(tok *seed.Token, device string, profile int) {
	if tok.Serial == "" {
		tok.Serial = ProfileSerial(device, profile)
	}
	tok.Manufacturer, tok.Model = "Token2", "Molto2"
}

// TokenBurn is the burn of tok into profile: its seed, hash, digits and
// time step, with title and the display timeout. The Burn shares tok's
// secret.
func TokenBurn(tok *seed.Token, profile int, title string, replace bool, display Display) Burn {
	return Burn{Profile: profile, Secret: tok.Secret, Title: title, Replace: replace,
		Config: Config{Display: display, Hash: tok.Hash, Digits: tok.EffectiveDigits(), Period: tok.EffectivePeriod()}}
}

// Plan is the burns that fill profiles first, first+1, ... with tokens
// (from a seed file, or one seed), each checked (Burn.Check) so that
// nothing is written when any of them cannot be: profile first+i gets
// tokens[i], titled title, or else the token's serial. The burns share
// the tokens' secrets.
func Plan(tokens []*seed.Token, first int, title string, replace bool, display Display) ([]Burn, error) {
	burns := make([]Burn, len(tokens))
	for i, t := range tokens {
		name := title
		if name == "" {
			name = t.Serial
		}
		burns[i] = TokenBurn(t, first+i, name, replace, display)
		if err := burns[i].Check(); err != nil {
			return nil, err
		}
	}
	return burns, nil
}
