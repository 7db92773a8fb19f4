package main

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/tokenctl/tokenctl/convert"
	"github.com/tokenctl/tokenctl/internal/exitcode"
	"github.com/tokenctl/tokenctl/internal/secretin"
)

// usagef is a usage error (exit 2).
func usagef(format string, a ...any) error { return exitcode.UsageErr(fmt.Errorf(format, a...)) }

// secretFlags adds --secret-file and --secret-env to c and returns the source
// they fill. what names the secret in help text ("the seed", "the AES key").
func secretFlags(c *cobra.Command, prefix, what string) *secretin.Source {
	name := "secret"
	if prefix != "" {
		name = prefix
	}
	s := secretin.Source{Flag: name}
	c.Flags().StringVar(&s.File, name+"-file", "", "read "+what+" from this file ('-' for standard input)")
	c.Flags().StringVar(&s.Env, name+"-env", "", "read "+what+" from this environment variable")
	return &s
}

// writeJSON prints v as indented JSON on w.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// inputFormat is the format --from names, or else the one that claims the
// input (convert.InputFormat).
var inputFormat = convert.InputFormat
