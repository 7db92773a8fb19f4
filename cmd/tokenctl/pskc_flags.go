package main

import (
	"github.com/spf13/cobra"

	"github.com/tokenctl/tokenctl/convert"
)

// pskcFlags adds the PSKC credential flags (--pskc-key-file,
// --pskc-password-file and their environment-variable twins) to c. The
// returned function fills o from them; call it in RunE before reading or
// writing. Commands that read or write seed files (convert, validate, seed
// generate, ledger export...) call this.
//
// The key is hex (16, 24 or 32 bytes: AES-128/192/256; 3DES files take 16
// or 24); the password is the file's or variable's content, trimmed of
// surrounding white space.
func pskcFlags(c *cobra.Command) func(o *convert.Options) error {
	key := secretFlags(c, "pskc-key", "the PSKC pre-shared key, as hex,")
	pw := secretFlags(c, "pskc-password", "the PSKC password (PBKDF2)")
	return func(o *convert.Options) error {
		key.In, pw.In = c.InOrStdin(), c.InOrStdin()
		if key.IsSet() && pw.IsSet() {
			return usagef("give a PSKC key or a PSKC password, not both")
		}
		if key.IsSet() {
			s, err := key.Read()
			if err != nil {
				return usagef("PSKC key: %v", err)
			}
			k, err := convert.ParsePSKCKey(s)
			if err != nil {
				return usagef("PSKC key: %v", err)
			}
			o.PSKCKey = k
		}
		if pw.IsSet() {
			s, err := pw.Read()
			if err != nil {
				return usagef("PSKC password: %v", err)
			}
			o.PSKCPassword = []byte(s)
		}
		return nil
	}
}
