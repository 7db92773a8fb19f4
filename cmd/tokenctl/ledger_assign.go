package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tokenctl/tokenctl/internal/exitcode"
	"github.com/tokenctl/tokenctl/ledger"
)

type ledgerAssignOptions struct {
	lf   ledgerFlags
	file string
}

func newLedgerAssignCmd(f *factory) *cobra.Command {
	var o ledgerAssignOptions
	c := &cobra.Command{
		Use:   "assign (SERIAL USER | --file FILE)",
		Short: "Record which user each token is given to",
		Long: `Record the user a token is handed out to (for Entra, the UPN that its export
carries). Give one SERIAL and USER, or --file with one "serial,user" line
per token (a first line starting "serial" is a header; blank lines and
lines starting with # are skipped). Every line is checked first (serial in
the ledger, given once, a user name without control characters) and any
problem is printed as file:line: field: what is wrong, with exit 1 and
nothing assigned. Each assignment is an event in the token's history.
Needs the station key, not the identity.`,
		Example: `  tokenctl ledger assign --ledger tokens.ledger 86596120001 alice@example.com
  tokenctl ledger assign --ledger tokens.ledger --file handed-out.csv
  tokenctl ledger export --ledger tokens.ledger --identity-file tokens.age --to entra -o entra.csv`,
		Args: func(c *cobra.Command, args []string) error {
			switch {
			case o.file != "" && len(args) != 0:
				return usagef("give SERIAL USER or --file, not both")
			case o.file == "" && len(args) != 2:
				return usagef("want SERIAL USER (or --file FILE)")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error { return o.run(cmd.Context(), f, args) },
	}
	o.lf.add(c, false)
	o.lf.addOperator(c)
	c.Flags().StringVar(&o.file, "file", "", `"serial,user" lines ('-' for standard input)`)
	return c
}

func (o *ledgerAssignOptions) run(ctx context.Context, f *factory, args []string) error {
	as, err := o.assignments(f.In, args)
	if err != nil {
		return err
	}
	l, err := o.lf.open(ctx)
	if err != nil {
		return err
	}
	defer l.Close()
	problems, err := l.CheckAssignments(ctx, as)
	if err != nil {
		return err
	}
	if len(problems) > 0 {
		fmt.Fprintln(f.Err, strings.Join(problems, "\n"))
		return exitcode.DataErr(fmt.Errorf("%d %s: nothing assigned", len(problems), plural(len(problems), "problem")))
	}
	recs, err := l.AssignAll(ctx, as, o.lf.operatorName())
	if err != nil {
		return err
	}
	type assigned struct {
		Serial string `json:"serial"`
		User   string `json:"user"`
		Record int64  `json:"record"`
	}
	done := []assigned{}
	for _, r := range recs {
		done = append(done, assigned{r.Serial, r.User, r.ID})
	}
	if f.JSON {
		return writeJSON(f.Out, map[string]any{"assigned": done})
	}
	fmt.Fprintf(f.Out, "%d %s assigned\n", len(done), plural(len(done), "token"))
	return nil
}

// assignments are the pairs to assign: the arguments, or --file's lines.
func (o *ledgerAssignOptions) assignments(stdin io.Reader, args []string) ([]ledger.Assignment, error) {
	switch o.file {
	case "":
		return []ledger.Assignment{{Serial: strings.TrimSpace(args[0]), User: strings.TrimSpace(args[1]), Where: "argument"}}, nil
	case "-":
		return ledger.ReadAssignments(stdin, "<stdin>")
	}
	file, err := os.Open(o.file)
	if err != nil {
		return nil, err
	}
	defer file.Close()
	return ledger.ReadAssignments(file, o.file)
}
