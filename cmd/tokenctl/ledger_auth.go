package main

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/tokenctl/tokenctl/internal/exitcode"
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
		RunE: func(cmd *cobra.Command, _ []string) error { return runLedgerVerify(cmd.Context(), f, &lf) },
	}
	lf.add(c, false)
	return c
}

func runLedgerVerify(ctx context.Context, f *factory, lf *ledgerFlags) error {
	l, err := lf.open(ctx)
	if err != nil {
		return err
	}
	defer l.Close()
	var bad []string
	h, err := l.Verify(ctx, func(r *ledger.Record, err error) {
		bad = append(bad, err.Error())
	})
	for _, b := range bad {
		fmt.Fprintf(f.Err, "%s: %s\n", lf.path, b)
	}
	if f.JSON {
		json.NewEncoder(f.Out).Encode(map[string]any{"head": h, "failed": len(bad)})
	} else if err == nil {
		fmt.Fprintf(f.Out, "%d records authentic; head #%d, digest %s\n", h.Records, h.MaxID, h.Digest)
	}
	if err != nil && len(bad) > 0 {
		return exitcode.DataErr(fmt.Errorf("%d of %d records fail authentication", len(bad), h.Records))
	}
	return err
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
		RunE:    func(cmd *cobra.Command, _ []string) error { return runLedgerUpgrade(cmd.Context(), f, &lf) },
	}
	lf.add(c, true)
	lf.addOperator(c)
	return c
}

func runLedgerUpgrade(ctx context.Context, f *factory, lf *ledgerFlags) error {
	l, err := lf.open(ctx)
	if err != nil {
		return err
	}
	defer l.Close()
	n, err := l.Upgrade(ctx, lf.operatorName())
	if err != nil {
		return err
	}
	fmt.Fprintf(f.Out, "%d records authenticated\n", n)
	return nil
}

type ledgerStationKeyOptions struct {
	lf  ledgerFlags
	out string
}

func newLedgerStationKeyCmd(f *factory) *cobra.Command {
	var o ledgerStationKeyOptions
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
		RunE: func(cmd *cobra.Command, _ []string) error { return o.run(cmd.Context(), f) },
	}
	o.lf.add(c, false)
	c.Flags().StringVarP(&o.out, "output", "o", "", "station key file to create (must not exist)")
	return c
}

func (o *ledgerStationKeyOptions) run(ctx context.Context, f *factory) error {
	if o.out == "" {
		return usagef("give -o FILE: the station key is never printed")
	}
	l, err := o.lf.open(ctx)
	if err != nil {
		return err
	}
	defer l.Close()
	if err := l.WriteStationKey(o.out); err != nil {
		return err
	}
	fmt.Fprintf(f.Err, "station key for ledger %s written to %s\n", l.ID(), o.out)
	return nil
}
