package main

import (
	"github.com/spf13/cobra"

	"github.com/tokenctl/tokenctl/ledger"
)

func newLedgerAssignCmd(f *factory) *cobra.Command {
	var lf ledgerFlags
	var file string
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
			case file != "" && len(args) != 0:
				return usagef("give SERIAL USER or --file, not both")
			case file == "" && len(args) != 2:
				return usagef("want SERIAL USER (or --file FILE)")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			as, err := ledger.Assignments(file, f.In, args...)
			if err != nil {
				return err
			}
			return lf.with(cmd.Context(), func(l *ledger.Ledger) error {
				done, err := l.AssignChecked(cmd.Context(), as, lf.operatorName())
				if err != nil {
					return problems(f, err)
				}
				return f.emit(map[string]any{"assigned": done}, f.Out, "%d %s assigned\n", len(done), plural(len(done), "token"))
			})
		},
	}
	lf.add(c, false)
	lf.addOperator(c)
	c.Flags().StringVar(&file, "file", "", `"serial,user" lines ('-' for standard input)`)
	return c
}
