package convert

import (
	"fmt"

	"github.com/tokenctl/tokenctl/internal/secretin"
)

// PSKCSecrets are where a PSKC file's pre-shared key (hex: 16, 24 or 32
// bytes) or password (the text, trimmed of surrounding white space) come
// from: a file, standard input or an environment variable.
type PSKCSecrets struct{ Key, Password secretin.Source }

// Apply reads the key or the password into o. Giving both, or one that
// cannot be read or decoded, is a *UsageError that never shows the secret.
func (p *PSKCSecrets) Apply(o *Options) error {
	if p.Key.IsSet() && p.Password.IsSet() {
		return usage("give a PSKC key or a PSKC password, not both")
	}
	if p.Key.IsSet() {
		s, err := p.Key.Read()
		if err == nil {
			o.PSKCKey, err = ParsePSKCKey(s)
		}
		if err != nil {
			return usage("PSKC key: %v", err)
		}
	}
	if p.Password.IsSet() {
		s, err := p.Password.Read()
		if err != nil {
			return &UsageError{fmt.Errorf("PSKC password: %w", err)}
		}
		o.PSKCPassword = []byte(s)
	}
	return nil
}
