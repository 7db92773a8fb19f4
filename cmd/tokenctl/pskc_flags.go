package main

import (
	"github.com/spf13/cobra"

	"github.com/tokenctl/tokenctl/convert"
)

// pskcFlags adds the PSKC credential flags (--pskc-key-file,
// --pskc-password-file and their environment-variable twins) to c. The
// returned function fills o from them (convert.PSKCSecrets); commands that
// read or write seed files call it in RunE before reading or writing.
func pskcFlags(c *cobra.Command) func(o *convert.Options) error {
	key := secretFlags(c, "pskc-key", "the PSKC pre-shared key, as hex,")
	pw := secretFlags(c, "pskc-password", "the PSKC password (PBKDF2)")
	return func(o *convert.Options) error {
		key.In, pw.In = c.InOrStdin(), c.InOrStdin()
		return (&convert.PSKCSecrets{Key: *key, Password: *pw}).Apply(o)
	}
}
