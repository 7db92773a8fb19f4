package main

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/spf13/cobra"

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
	s := secretin.Source{Flag: name, In: cmdStdin{c}}
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

// cmdStdin reads the command's standard input (the factory's, in tests),
// looked up when the secret is read: "-" for a secret file.
type cmdStdin struct{ c *cobra.Command }

func (r cmdStdin) Read(p []byte) (int, error) { return r.c.InOrStdin().Read(p) }
