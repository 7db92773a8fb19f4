package main

import (
	"bufio"
	"encoding/json"
	"errors"
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

// inputFormat is the format --from names, or else the only readable format
// whose Sniff claims the start of br. An input no format claims is
// invalid data (exit 1); one that several formats fit needs --from
// (exit 2), since only the user can say which.
func inputFormat(from string, br *bufio.Reader, display string) (*convert.Format, error) {
	if from != "" {
		f, ok := convert.Lookup(from)
		if !ok {
			return nil, usagef("--from %q: unknown format (see 'tokenctl formats')", from)
		}
		if f.Open == nil {
			return nil, usagef("--from %s: tokenctl can write this format but not read it", f.Name)
		}
		return f, nil
	}
	head, err := br.Peek(8 << 10)
	if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
		return nil, exitcode.DataErr(fmt.Errorf("reading %s: %w", display, err))
	}
	f, err := convert.Detect(head)
	switch {
	case errors.Is(err, convert.ErrUnknownFormat):
		return nil, exitcode.DataErr(fmt.Errorf("%s: %w", display, err))
	case err != nil:
		return nil, usagef("%s: %v", display, err)
	}
	return f, nil
}
