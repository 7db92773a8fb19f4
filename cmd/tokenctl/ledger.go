package main

import (
	"cmp"
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tokenctl/tokenctl/convert"
	"github.com/tokenctl/tokenctl/internal/secretin"
	"github.com/tokenctl/tokenctl/ledger"
	_ "github.com/tokenctl/tokenctl/ledger/pgstore" // ledgers in PostgreSQL
)

// ledgerFlags are the options every command on a ledger shares: where it
// is, and the key that opens its secrets (ledger.Access).
type ledgerFlags struct {
	path, stationKey, operator string
	identity                   []string
	pass                       secretin.Source
	keyNeeded                  bool
}

func (f *ledgerFlags) add(c *cobra.Command, keyNeeded bool) {
	f.keyNeeded = keyNeeded
	c.Flags().StringVar(&f.path, "ledger", "", "ledger file (default: $TOKENCTL_LEDGER)")
	what := "to open secrets"
	if !keyNeeded {
		what = "to resume tokens left pending (optional: recording needs only the station key, see --station-key)"
	}
	c.Flags().StringArrayVar(&f.identity, "identity-file", nil, "age identity file written by 'ledger init', "+what)
	c.Flags().StringVar(&f.pass.File, "passphrase-file", "", "ledger passphrase from this file ('-' for standard input), "+what)
	c.Flags().StringVar(&f.pass.Env, "passphrase-env", "", "ledger passphrase from this environment variable, "+what)
	c.Flags().StringVar(&f.stationKey, "station-key", "", "station key file ('tokenctl ledger station-key') for a ledger made on another machine (default: $TOKENCTL_STATION_KEY_FILE; remembered once given)")
}

func (f *ledgerFlags) addOperator(c *cobra.Command) {
	c.Flags().StringVar(&f.operator, "operator", "", "who is doing this, for the ledger's history (default: $TOKENCTL_OPERATOR or the login name)")
}

func (f *ledgerFlags) operatorName() string { return cmp.Or(f.operator, ledger.DefaultOperator()) }

// open opens the ledger with the keys given (one is required when
// keyNeeded); f.path is then the ledger opened.
func (f *ledgerFlags) open(ctx context.Context) (*ledger.Ledger, error) {
	a := ledger.Access{Path: f.path, Keys: ledger.Keys{IdentityFiles: f.identity, StationKeyFile: f.stationKey}, NeedSecrets: f.keyNeeded, ReadPassphrase: passphrase(&f.pass)}
	l, err := a.Open(ctx)
	f.path = a.Path
	return l, err
}

// passphrase reads s, for ledger.Access and ledger.InitOptions: nil when
// s was not given.
func passphrase(s *secretin.Source) func() ([]byte, error) {
	if !s.IsSet() {
		return nil
	}
	return func() ([]byte, error) { p, err := s.Read(); return []byte(p), err }
}

// with runs fn on the ledger, opened, and closes it.
func (f *ledgerFlags) with(ctx context.Context, fn func(*ledger.Ledger) error) error {
	l, err := f.open(ctx)
	if err != nil {
		return err
	}
	defer l.Close()
	return fn(l)
}

// dash is s, or "-" for nothing (batch.go's result lines).
func dash(s string) string { return cmp.Or(s, "-") }

// problems prints each problem of a *ledger.ProblemsError on standard
// error, and returns err.
func problems(f *factory, err error) error {
	if pe, ok := err.(*ledger.ProblemsError); ok {
		fmt.Fprintln(f.Err, strings.Join(pe.Problems, "\n"))
	}
	return err
}

// filterFlags select ledger records.
type filterFlags struct{ ledger.Selection }

func (f *filterFlags) add(c *cobra.Command) {
	c.Flags().StringVar(&f.Batch, "batch", "", "only this batch")
	c.Flags().StringVar(&f.Family, "family", "", "only this family: token2, yubikey or imported")
	c.Flags().StringSliceVar(&f.States, "state", nil, "only these states (pending, programmed, verified, failed; comma-separated or repeated)")
	c.Flags().StringSliceVar(&f.Serials, "serial", nil, "only these serials (comma-separated or repeated)")
	c.Flags().BoolVar(&f.History, "history", false, "include records replaced by a reprogram")
	c.Flags().StringVar(&f.Station, "station", "", "only the records of this station")
}

func (f *filterFlags) filter() (ledger.Filter, error) {
	lf, err := f.Filter()
	if err != nil {
		return lf, usagef("--%v", err)
	}
	return lf, nil
}

func newLedgerCmd(f *factory) *cobra.Command {
	c := &cobra.Command{
		Use:   "ledger",
		Short: "The encrypted record of every token programmed or imported",
		Long: `A ledger is one file (SQLite) that records every token tokenctl programs or
imports: serial, family and model, kind and parameters, state (pending,
programmed, verified or failed), batch, operator, times, assigned user, and
the secret, encrypted with age to the ledger's own key. The file alone
reveals no seed; reading secrets back (export) needs the identity file made
by 'ledger init' or the ledger's passphrase. Recording needs neither.

Batches write each secret to the ledger, on disk, before they write it to a
token, so a crash never loses a seed that reached a token.`,
		Example: `  tokenctl ledger init --identity-out ~/keys/tokens.age tokens.ledger
  export TOKENCTL_LEDGER=tokens.ledger
  tokenctl batch token2 --count 200 --batch box-17
  tokenctl ledger list --batch box-17
  tokenctl ledger export --batch box-17 --to duo --identity-file ~/keys/tokens.age -o duo.csv`,
	}
	c.AddCommand(newLedgerInitCmd(f), newLedgerListCmd(f), newLedgerShowCmd(f), newLedgerExportCmd(f), newLedgerImportCmd(f), newLedgerAssignCmd(f),
		newLedgerVerifyCmd(f), newLedgerUpgradeCmd(f), newLedgerStationKeyCmd(f), newLedgerCopyCmd(f), newLedgerMigrateCmd(f), newLedgerStatusCmd(f))
	return c
}

type ledgerInitOptions struct {
	ledger.InitOptions
	pass secretin.Source
}

func newLedgerInitCmd(f *factory) *cobra.Command {
	var o ledgerInitOptions
	c := &cobra.Command{
		Use:   "init [--identity-out FILE] [--passphrase-file F | --passphrase-env VAR] [LEDGER]",
		Short: "Create a ledger and its key",
		Long: `Create a new, empty ledger file (mode 0600) and the age key its secrets are
sealed to. The private key goes to an identity file (--identity-out, mode
0600, never overwritten: keep it away from the ledger, it is what opens
every secret), or is wrapped inside the ledger under a passphrase
(--passphrase-file or --passphrase-env; scrypt, so opening takes about a
second), or both. Without either, init refuses: a ledger nobody can open
would keep secrets no one can export.

Without LEDGER (nor --ledger, nor $TOKENCTL_LEDGER) the ledger is made in the
default place, which every ledger command then opens when none is named:
%LOCALAPPDATA%\tokenctl\tokens.ledger on Windows, ~/.local/share/tokenctl
(or $XDG_DATA_HOME/tokenctl) on Linux, ~/Library/Application Support/tokenctl
on macOS.

The ledger's public key is printed. This machine remembers the ledger's
station key; another provisioning station needs it ('tokenctl ledger
station-key') to record tokens, and opens no seed with it.`,
		Example: `  tokenctl ledger init --identity-out /secure/tokens.age tokens.ledger
  tokenctl ledger init --passphrase-file - tokens.ledger < passphrase.txt
  TOKENCTL_LEDGER_PASS=... tokenctl ledger init --passphrase-env TOKENCTL_LEDGER_PASS --identity-out backup.age tokens.ledger`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return o.run(cmd.Context(), f, args) },
	}
	c.Flags().StringVar(&o.Path, "ledger", "", "ledger file to create (or give it as the argument; default $TOKENCTL_LEDGER)")
	c.Flags().StringVar(&o.IdentityOut, "identity-out", "", "write the ledger's private key (age identity) to this new file, mode 0600")
	c.Flags().StringVar(&o.pass.File, "passphrase-file", "", "wrap the key in the ledger under the passphrase in this file ('-' for standard input)")
	c.Flags().StringVar(&o.pass.Env, "passphrase-env", "", "wrap the key in the ledger under the passphrase in this environment variable")
	c.Flags().BoolVar(&o.PostQuantum, "post-quantum", false, "use a hybrid ML-KEM-768 + X25519 key (age1pq...) instead of X25519")
	c.Flags().BoolVar(&o.Grants, "grants", false, "PostgreSQL: grant the station and operator roles what they need (see docs/postgres.md)")
	c.Flags().StringVar(&o.StationRole, "station-role", "tokenctl_station", "PostgreSQL: the (existing) role stations log in as")
	c.Flags().StringVar(&o.OperatorRole, "operator-role", "tokenctl_operator", "PostgreSQL: the (existing) role that exports")
	return c
}

func (o *ledgerInitOptions) run(ctx context.Context, f *factory, args []string) error {
	if len(args) == 1 && o.Path != "" && o.Path != args[0] {
		return usagef("give the ledger as the argument or as --ledger, not both")
	}
	o.Path, o.ReadPassphrase = cmp.Or(o.Path, strings.Join(args, "")), passphrase(&o.pass)
	l, rep, err := ledger.Init(ctx, &o.InitOptions)
	if l != nil {
		defer l.Close()
	}
	if err != nil {
		return err
	}
	return f.emit(rep, f.Out, "%v", rep)
}

func newLedgerListCmd(f *factory) *cobra.Command {
	var lf ledgerFlags
	var ff filterFlags
	c := &cobra.Command{
		Use:   "list [--batch B] [--state S] [--serial S] [--family F]",
		Short: "List the tokens in a ledger (no secrets)",
		Example: `  tokenctl ledger list --ledger tokens.ledger --batch box-17
  tokenctl ledger list --state pending,failed --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			filter, err := ff.filter()
			if err != nil {
				return err
			}
			return lf.with(cmd.Context(), func(l *ledger.Ledger) error {
				if f.JSON {
					recs, err := l.Records(cmd.Context(), filter)
					if err != nil {
						return err
					}
					return writeJSON(f.Out, recs)
				}
				t := ledger.NewTable(f.Out)
				if err := l.List(cmd.Context(), filter, t.Add); err != nil {
					return err
				}
				t.Flush()
				fmt.Fprintf(f.Err, "%d %s\n", t.Len, plural(t.Len, "token"))
				return nil
			})
		},
	}
	lf.add(c, false)
	ff.add(c)
	return c
}

func newLedgerShowCmd(f *factory) *cobra.Command {
	var lf ledgerFlags
	c := &cobra.Command{
		Use:   "show SERIAL...",
		Short: "Show a token's record and history (no secrets)",
		Example: `  tokenctl ledger show --ledger tokens.ledger 86596120001
  tokenctl ledger show 86596120001 86596120002 --json`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, serials []string) error {
			return lf.with(cmd.Context(), func(l *ledger.Ledger) error {
				hs, err := l.Histories(cmd.Context(), serials)
				if hs == nil {
					return err
				}
				return cmp.Or(f.emit(hs, f.Out, "%v", hs), err)
			})
		},
	}
	lf.add(c, false)
	return c
}

type ledgerExportOptions struct {
	lf                    ledgerFlags
	ff                    filterFlags
	to, out               string
	split, force, skipBad bool
	pskc                  func(*convert.Options) error
}

func newLedgerExportCmd(f *factory) *cobra.Command {
	var o ledgerExportOptions
	c := &cobra.Command{
		Use:   "export --to FORMAT [-o OUT] [--batch B] [--state S] [--serial S]",
		Short: "Write a selection of the ledger's tokens, secrets included, as a seed file",
		Long: `Write the tokens of a ledger selection in any writable seed-file format
(see 'tokenctl formats'): Duo, Entra, Okta/Yubico log, privacyIDEA, PSKC
(encrypted with --pskc-key-file or --pskc-password-file)... This opens the
secrets, so it needs the ledger's identity file or passphrase.

By default the selection is every current token that is programmed or
verified; --state pending,failed selects the others. Every token is checked
against the target's rules first and nothing is written when one breaks
them. The output is created 0600 through a temporary file and a rename, and
is not printed on a terminal without --force.

A record that fails authentication (written by someone without the
ledger's key) stops the export, named, with nothing written; with
--skip-bad-records each is named and left out, and the rest is exported.`,
		Example: `  tokenctl ledger export --batch box-17 --to duo -o duo-totp.csv --identity-file ~/keys/tokens.age
  tokenctl ledger export --to pskc --pskc-password-file pw.txt -o tokens.pskcxml --passphrase-env LEDGER_PASS
  tokenctl ledger export --serial 86596120001,86596120002 --to entra -o entra.csv --identity-file k.age`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return o.run(cmd.Context(), f) },
	}
	o.lf.add(c, true)
	o.ff.add(c)
	c.Flags().StringVar(&o.to, "to", "", "output format (required; see 'tokenctl formats')")
	c.Flags().StringVarP(&o.out, "output", "o", "", "output file (default: standard output, not a terminal)")
	c.Flags().BoolVar(&o.split, "split", false, "write one file per token type when the target takes one type per file (Duo)")
	c.Flags().BoolVar(&o.force, "force", false, "print secrets even on a terminal")
	c.Flags().BoolVar(&o.skipBad, "skip-bad-records", false, "leave out (and name) records that fail authentication instead of exporting nothing")
	c.MarkFlagRequired("to")
	o.pskc = pskcFlags(c)
	return c
}

func (o *ledgerExportOptions) run(ctx context.Context, f *factory) error {
	filter, err := o.ff.filter()
	if err != nil {
		return err
	}
	if _, ok := convert.Lookup(o.to); !ok {
		return usagef("--to %q: unknown format (see tokenctl formats)", o.to)
	}
	co := &convert.Options{Split: o.split, Stdout: f.Out, OnProblem: problemPrinter(f)}
	if err := o.pskc(co); err != nil {
		return err
	}
	toFile := o.out != "" && o.out != "-"
	switch {
	case !toFile && f.JSON:
		return usagef("--json prints the report on standard output: give -o for the exported file")
	case !toFile && f.OutTTY && !o.force:
		return usagef("not printing secrets on a terminal: give -o FILE (or --force)")
	}
	var skip func(r *ledger.Record, err error)
	if o.skipBad {
		skip = func(r *ledger.Record, err error) {
			fmt.Fprintf(f.Err, "%s: %v: left out (--skip-bad-records)\n", o.lf.path, err)
		}
	}
	return o.lf.with(ctx, func(l *ledger.Ledger) error {
		rep, err := l.ExportTo(ctx, filter, o.out, o.to, co, skip)
		if rep != nil && (f.JSON || err == nil && toFile) {
			err = cmp.Or(err, f.emit(rep, f.Err, "%d %s exported to %s\n", rep.Written, plural(rep.Written, "token"), strings.Join(rep.Outputs, ", ")))
		}
		return err
	})
}

type ledgerImportOptions struct {
	lf            ledgerFlags
	in            inputFlags
	family, batch string
	reprogram     bool
	pskc          func(*convert.Options) error
}

func newLedgerImportCmd(f *factory) *cobra.Command {
	var o ledgerImportOptions
	c := &cobra.Command{
		Use:   "import [--from FORMAT] [--batch B] FILE...",
		Short: "Record factory-seeded tokens from vendor seed files",
		Long: `Record the tokens of vendor seed files (factory seeds: the tokens already
hold them) in the ledger as programmed, so that they take part in the
uniqueness checks and in exports. Any format tokenctl reads is accepted
(--from, detected when only one format fits).

Import is all or nothing: every problem (unreadable row, serial twice in
the input, serial already in the ledger) is printed as file:line: field:
what is wrong, the exit code is 1 and nothing is recorded. --reprogram
replaces the ledger's records of serials already there (they stay in the
history). Recording needs the station key (this machine's, or --station-key),
not the identity.`,
		Example: `  tokenctl ledger import --ledger tokens.ledger --batch po-4711 token2-seeds.csv
  tokenctl ledger import --from duo-totp --model c202 --batch old-duo duo-export.csv`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return o.run(cmd.Context(), f, args) },
	}
	o.lf.add(c, false)
	o.lf.addOperator(c)
	o.in.add(c)
	c.Flags().StringVar(&o.family, "family", "imported", "family to record: imported, token2 or yubikey")
	c.Flags().StringVar(&o.batch, "batch", "", "batch name to record (default: import-DATE)")
	c.Flags().BoolVar(&o.reprogram, "reprogram", false, "replace the records of serials already in the ledger")
	o.pskc = pskcFlags(c)
	return c
}

func (o *ledgerImportOptions) run(ctx context.Context, f *factory, files []string) error {
	fam, err := ledger.ParseFamily(o.family)
	if err != nil {
		return usagef("--family: %v", err)
	}
	co := &convert.Options{Stdin: f.In}
	if err := o.in.options(co); err != nil {
		return err
	}
	if err := o.pskc(co); err != nil {
		return err
	}
	return o.lf.with(ctx, func(l *ledger.Ledger) error {
		rep, err := l.ImportFiles(ctx, files, o.in.from, co, ledger.Entry{Family: fam, Batch: o.batch, Operator: o.lf.operatorName(), Reprogram: o.reprogram})
		if rep == nil {
			return err
		}
		for _, w := range rep.Warnings {
			fmt.Fprintln(f.Err, w)
		}
		if err != nil {
			return problems(f, err)
		}
		return f.emit(rep, f.Err, "%v", rep)
	})
}
