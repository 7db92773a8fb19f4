package main

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/tokenctl/tokenctl/ledger"
)

func newLedgerVerifyCmd(f *factory) *cobra.Command {
	var lf ledgerFlags
	c := &cobra.Command{
		Use:   "verify",
		Short: "Check every record's authentication and print the ledger's head",
		Long: `Check that every record carries a valid MAC under the ledger's authentication
key (so nobody without it planted or edited one) and that the ledger is not
older than the copy this machine last saw (rolled back). Each record that
fails is named (serial, record number), exit 1. The head printed (records,
highest record number, digest) can be compared with another machine's.
Needs the station key or the ledger's identity.`,
		Example: `  tokenctl ledger verify --ledger tokens.ledger
  tokenctl --json ledger verify --ledger tokens.ledger --identity-file tokens.age`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return lf.with(cmd.Context(), func(l *ledger.Ledger) error {
				rep, err := l.VerifyAll(cmd.Context())
				for _, p := range rep.Problems {
					fmt.Fprintf(f.Err, "%s: %s\n", lf.path, p)
				}
				if f.JSON {
					json.NewEncoder(f.Out).Encode(rep)
				} else if err == nil {
					fmt.Fprint(f.Out, rep)
				}
				return err
			})
		},
	}
	lf.add(c, false)
	return c
}

func newLedgerUpgradeCmd(f *factory) *cobra.Command {
	var lf ledgerFlags
	c := &cobra.Command{
		Use:   "upgrade",
		Short: "Authenticate a ledger written before records carried MACs (key holder only)",
		Long: `A ledger written by an earlier tokenctl has no authentication: it is neither
read nor written until its key holder upgrades it. Upgrade opens every
record's sealed secret with the ledger's identity (a record that does not
open, or belongs to another serial, stops it with nothing changed), then
makes the ledger's authentication key and signs its metadata and every
record. Check the ledger came from a trusted copy first: what it holds now
is what gets signed.`,
		Example: `  tokenctl ledger upgrade --ledger tokens.ledger --identity-file tokens.age`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return lf.with(cmd.Context(), func(l *ledger.Ledger) error {
				n, err := l.Upgrade(cmd.Context(), lf.operatorName())
				if err == nil {
					fmt.Fprintf(f.Out, "%d records authenticated\n", n)
				}
				return err
			})
		},
	}
	lf.add(c, true)
	lf.addOperator(c)
	return c
}

func newLedgerStationKeyCmd(f *factory) *cobra.Command {
	var lf ledgerFlags
	var out string
	c := &cobra.Command{
		Use:   "station-key -o FILE",
		Short: "Write the key another station needs to record tokens in this ledger",
		Long: `Write the ledger's station key: with it (--station-key FILE, once; it is then
remembered) a burning station records authenticated tokens, but it cannot
open any seed (that takes the identity). Keep it private: whoever holds it
can add records the ledger accepts. The file is created private; it is
never printed.`,
		Example: `  tokenctl ledger station-key --ledger tokens.ledger --identity-file tokens.age -o station.key
  tokenctl batch token2 --ledger tokens.ledger --station-key station.key --count 10`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" {
				return usagef("give -o FILE: the station key is never printed")
			}
			return lf.with(cmd.Context(), func(l *ledger.Ledger) error {
				if err := l.WriteStationKey(out); err != nil {
					return err
				}
				fmt.Fprintf(f.Err, "station key for ledger %s written to %s\n", l.ID(), out)
				return nil
			})
		},
	}
	lf.add(c, false)
	c.Flags().StringVarP(&out, "output", "o", "", "station key file to create (must not exist)")
	return c
}
