package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/tokenctl/tokenctl/ledger"
)

func newLedgerCopyCmd(f *factory) *cobra.Command {
	return &cobra.Command{
		Use:   "copy SRC DST",
		Short: "Copy a ledger between a file and a PostgreSQL database, every record and its history intact",
		Long: `Copy every record (replaced ones too), its authentication, its history and
the ledger's metadata from SRC to DST, then check the copy: with the
ledger's key known on this machine every record's MAC, else field by field
against the source. A file DST must not exist; a database DST must hold no
ledger. Stop the stations while copying.`,
		Example: `  tokenctl ledger copy tokens.ledger 'postgres://admin@db.example.com/tokens?sslmode=verify-full'
  tokenctl ledger copy 'postgres://admin@db.example.com/tokens' back.ledger`,
		Args: cobra.ExactArgs(2),
		RunE: func(c *cobra.Command, args []string) error {
			res, err := ledger.CopySpec(c.Context(), args[0], args[1])
			if err != nil {
				return err
			}
			return f.emit(res, f.Out, "%s", res.Summary(args[1]))
		},
	}
}

func newLedgerMigrateCmd(f *factory) *cobra.Command {
	var path string
	c := &cobra.Command{
		Use:   "migrate",
		Short: "Bring a ledger database's schema up to this version of tokenctl",
		Long: `Take the ledger's schema forward to what this tokenctl uses, each step in a
transaction; a schema newer than this tokenctl knows is refused. A SQLite
file migrates by itself when opened; a database only when its owner runs
this (station logins cannot change the schema).`,
		Example: "  tokenctl ledger migrate --ledger 'postgres://admin@db.example.com/tokens?sslmode=verify-full'",
		Args:    cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			path, err := ledger.ResolvePath(path)
			if err == nil {
				err = ledger.MigrateSpec(c.Context(), path)
			}
			if err == nil {
				fmt.Fprintf(f.Err, "ledger %s: schema up to date\n", ledger.SpecName(path))
			}
			return err
		},
	}
	c.Flags().StringVar(&path, "ledger", "", "ledger file or database (default: $TOKENCTL_LEDGER)")
	return c
}

func newLedgerStatusCmd(f *factory) *cobra.Command {
	var lf ledgerFlags
	var stale time.Duration
	c := &cobra.Command{
		Use:   "status",
		Short: "Per-station counts, and pending records older than --stale (a station that crashed)",
		Long: `Count the current records of each station by state, and list the records
still pending after --stale: a station that crashed or lost its connection
mid-token. Such a token is re-burned with its recorded seed when it is
presented again to a batch.`,
		Example: "  tokenctl ledger status --ledger tokens.ledger --stale 15m",
		Args:    cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			return lf.with(c.Context(), func(l *ledger.Ledger) error {
				st, err := l.Status(c.Context(), stale)
				if err != nil {
					return err
				}
				return f.emit(st, f.Out, "%v", st)
			})
		},
	}
	lf.add(c, false)
	c.Flags().DurationVar(&stale, "stale", 30*time.Minute, "list pending records not updated for this long")
	return c
}
