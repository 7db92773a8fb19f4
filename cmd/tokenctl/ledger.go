package main

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/tokenctl/tokenctl/convert"
	"github.com/tokenctl/tokenctl/ledger"
	_ "github.com/tokenctl/tokenctl/ledger/pgstore" // ledgers in PostgreSQL
)

// The ledger commands: flags into the ledger package's options (Access,
// Selection, InitOptions), one call, the report printed (f.emit).

// ledgerFlags are the options every command on a ledger shares (batch and
// upload too): where it is, and the keys that open it (its Open sets Path
// to the ledger opened).
type ledgerFlags struct {
	ledger.Access
	operator string
}

func (f *ledgerFlags) add(c *cobra.Command, keyNeeded bool) {
	f.NeedSecrets = keyNeeded
	c.Flags().StringVar(&f.Path, "ledger", "", "ledger file (default: $TOKENCTL_LEDGER)")
	what := "to open secrets"
	if !keyNeeded {
		what = "to resume tokens left pending (optional: recording needs only the station key, see --station-key)"
	}
	c.Flags().StringArrayVar(&f.IdentityFiles, "identity-file", nil, "age identity file written by 'ledger init', "+what)
	c.Flags().StringVar(&f.PassphraseFrom.File, "passphrase-file", "", "ledger passphrase from this file ('-' for standard input), "+what)
	c.Flags().StringVar(&f.PassphraseFrom.Env, "passphrase-env", "", "ledger passphrase from this environment variable, "+what)
	c.Flags().StringVar(&f.StationKeyFile, "station-key", "", "station key file ('tokenctl ledger station-key') for a ledger made on another machine (default: $TOKENCTL_STATION_KEY_FILE; remembered once given)")
}

func (f *ledgerFlags) addOperator(c *cobra.Command) {
	c.Flags().StringVar(&f.operator, "operator", "", "who is doing this, for the ledger's history (default: $TOKENCTL_OPERATOR or the login name)")
}

func (f *ledgerFlags) operatorName() string { return cmp.Or(f.operator, ledger.DefaultOperator()) }

// ledgerCommand adds the flags of a ledgerFlags to c (add; --operator too
// with operator) and makes its RunE run c.PreRunE (which checks the
// request before any key is read; in RunE, after cobra's check of
// required flags) and then fn on the ledger, opened with those flags.
func ledgerCommand(c *cobra.Command, keyNeeded, operator bool, fn func(ctx context.Context, l *ledger.Ledger, lf *ledgerFlags, args []string) error) *cobra.Command {
	f := &ledgerFlags{}
	if f.add(c, keyNeeded); operator {
		f.addOperator(c)
	}
	pre := c.PreRunE
	c.PreRunE, c.RunE = nil, func(c *cobra.Command, args []string) error {
		if pre != nil {
			if err := pre(c, args); err != nil {
				return err
			}
		}
		l, err := f.Open(c.Context())
		if err != nil {
			return err
		}
		defer l.Close()
		return fn(c.Context(), l, f, args)
	}
	return c
}

// done prints v (f.emit; text only when v is nil) unless err, and returns
// err, after printing the problems of a *ledger.ProblemsError on standard
// error.
func done(f *factory, err error, v any, w io.Writer, format string, a ...any) error {
	pe, ok := err.(*ledger.ProblemsError)
	switch {
	case ok:
		fmt.Fprintln(f.Err, strings.Join(pe.Problems, "\n"))
		return err
	case err != nil:
		return err
	case v == nil:
		_, err = fmt.Fprintf(w, format, a...)
		return err
	}
	return f.emit(v, w, format, a...)
}

// selectionFlags add the flags that select ledger records (list, export,
// upload) to c, into f; f.Filter parses them.
func selectionFlags(c *cobra.Command, f *ledger.Selection) {
	c.Flags().StringVar(&f.Batch, "batch", "", "only this batch")
	c.Flags().StringVar(&f.Family, "family", "", "only this family: token2, yubikey, fido2, molto2 or imported")
	c.Flags().StringSliceVar(&f.States, "state", nil, "only these states (pending, programmed, verified, failed; comma-separated or repeated)")
	c.Flags().StringSliceVar(&f.Serials, "serial", nil, "only these serials (comma-separated or repeated)")
	c.Flags().BoolVar(&f.History, "history", false, "include records replaced by a reprogram")
	c.Flags().StringVar(&f.Station, "station", "", "only the records of this station")
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

func newLedgerInitCmd(f *factory) *cobra.Command {
	var o ledger.InitOptions
	c := &cobra.Command{
		Use:   "init [--identity-out FILE] [--passphrase-file F | --passphrase-env VAR] [LEDGER]",
		Short: "Create a ledger and its key",
		Long: `Create a new, empty ledger (a file, mode 0600, or a PostgreSQL database) and
the age key its secrets are sealed to, whose public half is printed. The
private key goes to an identity file (--identity-out: keep it apart from the
ledger, it opens every secret), or is wrapped in the ledger under a
passphrase (scrypt: opening takes about a second), or both; with neither,
init refuses: no one could export the secrets.

Without LEDGER (nor --ledger, nor $TOKENCTL_LEDGER) the ledger is made in the
default place, which every ledger command then opens when none is named:
%LOCALAPPDATA%\tokenctl\tokens.ledger on Windows, ~/.local/share/tokenctl
(or $XDG_DATA_HOME/tokenctl) on Linux, ~/Library/Application Support/tokenctl
on macOS. This machine remembers the ledger's station key; another station
needs it ('tokenctl ledger station-key') to record tokens, and opens no seed
with it.`,
		Example: `  tokenctl ledger init --identity-out /secure/tokens.age tokens.ledger
  tokenctl ledger init --passphrase-file - tokens.ledger < passphrase.txt
  TOKENCTL_LEDGER_PASS=... tokenctl ledger init --passphrase-env TOKENCTL_LEDGER_PASS --identity-out backup.age tokens.ledger`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 && o.Path != "" && o.Path != args[0] {
				return usagef("give the ledger as the argument or as --ledger, not both")
			}
			o.Path = cmp.Or(o.Path, strings.Join(args, ""))
			rep, err := ledger.Init(cmd.Context(), &o)
			return done(f, err, rep, f.Out, "%v", rep)
		},
	}
	c.Flags().StringVar(&o.Path, "ledger", "", "ledger file to create (or give it as the argument; default $TOKENCTL_LEDGER)")
	c.Flags().StringVar(&o.IdentityOut, "identity-out", "", "write the ledger's private key (age identity) to this new file, mode 0600")
	c.Flags().StringVar(&o.PassphraseFrom.File, "passphrase-file", "", "wrap the key in the ledger under the passphrase in this file ('-' for standard input)")
	c.Flags().StringVar(&o.PassphraseFrom.Env, "passphrase-env", "", "wrap the key in the ledger under the passphrase in this environment variable")
	c.Flags().BoolVar(&o.PostQuantum, "post-quantum", false, "use a hybrid ML-KEM-768 + X25519 key (age1pq...) instead of X25519")
	c.Flags().BoolVar(&o.Grants, "grants", false, "PostgreSQL: grant the station and operator roles what they need (see docs/postgres.md)")
	c.Flags().StringVar(&o.StationRole, "station-role", "tokenctl_station", "PostgreSQL: the (existing) role stations log in as")
	c.Flags().StringVar(&o.OperatorRole, "operator-role", "tokenctl_operator", "PostgreSQL: the (existing) role that exports")
	return c
}

func newLedgerListCmd(f *factory) *cobra.Command {
	var sel ledger.Selection
	var filter ledger.Filter
	c := ledgerCommand(&cobra.Command{
		Use:   "list [--batch B] [--state S] [--serial S] [--family F]",
		Short: "List the tokens in a ledger (no secrets)",
		Example: `  tokenctl ledger list --ledger tokens.ledger --batch box-17
  tokenctl ledger list --state pending,failed --json`,
		Args:    cobra.NoArgs,
		PreRunE: func(*cobra.Command, []string) (err error) { filter, err = sel.Filter(); return err },
	}, false, false, func(ctx context.Context, l *ledger.Ledger, lf *ledgerFlags, _ []string) error {
		if f.JSON {
			recs, err := l.Records(ctx, filter)
			return done(f, err, recs, f.Out, "")
		}
		n, err := l.WriteTable(ctx, filter, f.Out)
		return done(f, err, nil, f.Err, "%d %s\n", n, plural(n, "token"))
	})
	selectionFlags(c, &sel)
	return c
}

func newLedgerShowCmd(f *factory) *cobra.Command {
	return ledgerCommand(&cobra.Command{
		Use:   "show SERIAL...",
		Short: "Show a token's record and history (no secrets)",
		Example: `  tokenctl ledger show --ledger tokens.ledger 86596120001
  tokenctl ledger show 86596120001 86596120002 --json`,
		Args: cobra.MinimumNArgs(1),
	}, false, false, func(ctx context.Context, l *ledger.Ledger, lf *ledgerFlags, serials []string) error {
		hs, err := l.Histories(ctx, serials)
		if hs == nil {
			return err
		}
		return cmp.Or(f.emit(hs, f.Out, "%v", hs), err)
	})
}

func newLedgerExportCmd(f *factory) *cobra.Command {
	var e ledger.ExportJob
	var split, force, skipBad bool
	var pskc func(*convert.Options) error
	c := ledgerCommand(&cobra.Command{
		Use:   "export --to FORMAT [-o OUT] [--batch B] [--state S] [--serial S]",
		Short: "Write a selection of the ledger's tokens, secrets included, as a seed file",
		Long: `Write the tokens of a ledger selection in any writable seed-file format,
opening their secrets with the ledger's identity file or passphrase.

By default the selection is every current token that is programmed or
verified; --state pending,failed selects the others. Every token is checked
against the target's rules first and nothing is written when one breaks
them. The output is created 0600 through a temporary file and a rename. A
record that fails authentication (written by someone without the ledger's
key) stops the export, named, with nothing written (see --skip-bad-records).`,
		Example: `  tokenctl ledger export --batch box-17 --to duo -o duo-totp.csv --identity-file ~/keys/tokens.age
  tokenctl ledger export --to pskc --pskc-password-file pw.txt -o tokens.pskcxml --passphrase-env LEDGER_PASS
  tokenctl ledger export --serial 86596120001,86596120002 --to entra -o entra.csv --identity-file k.age`,
		Args: cobra.NoArgs,
		PreRunE: func(*cobra.Command, []string) error {
			e.Options = &convert.Options{Split: split, Stdout: f.Out, OnProblem: problemPrinter(f)}
			if err := e.Check(); err != nil {
				return err
			} else if err := pskc(e.Options); err != nil {
				return err
			}
			return f.secretsOut(e.Out, force)
		},
	}, true, false, func(ctx context.Context, l *ledger.Ledger, lf *ledgerFlags, _ []string) error {
		if skipBad {
			e.Skip = func(_ *ledger.Record, err error) {
				fmt.Fprintf(f.Err, "%s: %v: left out (--skip-bad-records)\n", lf.Path, err)
			}
		}
		rep, err := e.Run(ctx, l)
		if rep != nil && (f.JSON || err == nil && e.Out != "" && e.Out != "-") {
			err = cmp.Or(err, f.emit(rep, f.Err, "%d %s exported to %s\n", rep.Written, plural(rep.Written, "token"), strings.Join(rep.Outputs, ", ")))
		}
		return err
	})
	selectionFlags(c, &e.Selection)
	c.Flags().StringVar(&e.To, "to", "", "output format (required; see 'tokenctl formats')")
	c.Flags().StringVarP(&e.Out, "output", "o", "", "output file (default: standard output, not a terminal)")
	c.Flags().BoolVar(&split, "split", false, "write one file per token type when the target takes one type per file (Duo)")
	c.Flags().BoolVar(&force, "force", false, "print secrets even on a terminal")
	c.Flags().BoolVar(&skipBad, "skip-bad-records", false, "leave out (and name) records that fail authentication instead of exporting nothing")
	c.MarkFlagRequired("to")
	pskc = pskcFlags(c)
	return c
}

func newLedgerImportCmd(f *factory) *cobra.Command {
	var in inputFlags
	var family string
	var pskc func(*convert.Options) error
	e, co := ledger.Entry{}, &convert.Options{Stdin: f.In}
	c := ledgerCommand(&cobra.Command{
		Use:   "import [--from FORMAT] [--batch B] FILE...",
		Short: "Record factory-seeded tokens from vendor seed files",
		Long: `Record the tokens of vendor seed files in any format tokenctl reads in the
ledger as programmed (factory seeds: the tokens already hold them), so that
they take part in the uniqueness checks and in exports. All or nothing:
every problem (unreadable row, serial twice in the input or already in the
ledger) is printed as file:line: field: what is wrong, the exit code is 1
and nothing is recorded. Needs the station key, not the identity.`,
		Example: `  tokenctl ledger import --ledger tokens.ledger --batch po-4711 token2-seeds.csv
  tokenctl ledger import --from duo-totp --model c202 --batch old-duo duo-export.csv`,
		Args: cobra.MinimumNArgs(1),
		PreRunE: func(*cobra.Command, []string) (err error) {
			if e.Family, err = ledger.ParseFamily(family); err != nil {
				return usagef("--family: %v", err)
			}
			if err := in.options(co); err != nil {
				return err
			}
			return pskc(co)
		},
	}, false, true, func(ctx context.Context, l *ledger.Ledger, lf *ledgerFlags, files []string) error {
		e.Operator = lf.operatorName()
		rep, err := l.ImportFiles(ctx, files, in.from, co, e)
		if rep != nil && len(rep.Warnings) > 0 {
			fmt.Fprintln(f.Err, strings.Join(rep.Warnings, "\n"))
		}
		return done(f, err, rep, f.Err, "%v", rep)
	})
	in.add(c)
	c.Flags().StringVar(&family, "family", "imported", "family to record: imported, token2 or yubikey")
	c.Flags().StringVar(&e.Batch, "batch", "", "batch name to record (default: import-DATE)")
	c.Flags().BoolVar(&e.Reprogram, "reprogram", false, "replace the records of serials already in the ledger (they stay in the history)")
	pskc = pskcFlags(c)
	return c
}

func newLedgerAssignCmd(f *factory) *cobra.Command {
	var file string
	var as []ledger.Assignment
	c := ledgerCommand(&cobra.Command{
		Use:   "assign (SERIAL USER | --file FILE)",
		Short: "Record which user each token is given to",
		Long: `Record the user a token is handed out to (for Entra, the UPN that its export
carries): one SERIAL and USER, or --file (a first line starting "serial" is
a header; blank lines and lines starting with # are skipped). Every line is
checked first (serial in the ledger, given once, a user name without control
characters) and any problem is printed as file:line: field: what is wrong,
with exit 1 and nothing assigned. Each assignment is an event in the
token's history. Needs the station key, not the identity.`,
		Example: `  tokenctl ledger assign --ledger tokens.ledger 86596120001 alice@example.com
  tokenctl ledger assign --ledger tokens.ledger --file handed-out.csv
  tokenctl ledger export --ledger tokens.ledger --identity-file tokens.age --to entra -o entra.csv`,
		PreRunE: func(_ *cobra.Command, args []string) (err error) {
			as, err = ledger.Assignments(file, f.In, args...)
			return err
		},
	}, false, true, func(ctx context.Context, l *ledger.Ledger, lf *ledgerFlags, _ []string) error {
		made, err := l.AssignChecked(ctx, as, lf.operatorName())
		return done(f, err, map[string]any{"assigned": made}, f.Out, "%d %s assigned\n", len(made), plural(len(made), "token"))
	})
	c.Flags().StringVar(&file, "file", "", `"serial,user" lines ('-' for standard input)`)
	return c
}

func newLedgerVerifyCmd(f *factory) *cobra.Command {
	return ledgerCommand(&cobra.Command{
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
	}, false, false, func(ctx context.Context, l *ledger.Ledger, lf *ledgerFlags, _ []string) error {
		rep, err := l.VerifyAll(ctx)
		for _, p := range rep.Problems {
			fmt.Fprintf(f.Err, "%s: %s\n", lf.Path, p)
		}
		if f.JSON {
			json.NewEncoder(f.Out).Encode(rep)
		} else if err == nil {
			fmt.Fprint(f.Out, rep)
		}
		return err
	})
}

func newLedgerUpgradeCmd(f *factory) *cobra.Command {
	return ledgerCommand(&cobra.Command{
		Use:   "upgrade",
		Short: "Authenticate a ledger written before records carried MACs (key holder only)",
		Long: `A ledger written by an earlier tokenctl has no authentication: it is neither
read nor written until its key holder upgrades it, which opens every sealed
secret with the ledger's identity (one that does not open, or belongs to
another serial, stops it with nothing changed), then makes the ledger's
authentication key and signs its metadata and every record. Check the ledger
came from a trusted copy first: what it holds now is what gets signed.`,
		Example: `  tokenctl ledger upgrade --ledger tokens.ledger --identity-file tokens.age`,
		Args:    cobra.NoArgs,
	}, true, true, func(ctx context.Context, l *ledger.Ledger, lf *ledgerFlags, _ []string) error {
		n, err := l.Upgrade(ctx, lf.operatorName())
		return done(f, err, nil, f.Out, "%d records authenticated\n", n)
	})
}

func newLedgerStationKeyCmd(f *factory) *cobra.Command {
	var out string
	c := ledgerCommand(&cobra.Command{
		Use:   "station-key -o FILE",
		Short: "Write the key another station needs to record tokens in this ledger",
		Long: `Write the ledger's station key: with it (--station-key) a burning station
records authenticated tokens, but it cannot open any seed (that takes the
identity). Keep it private: whoever holds it can add records the ledger
accepts. The file is created private; it is never printed.`,
		Example: `  tokenctl ledger station-key --ledger tokens.ledger --identity-file tokens.age -o station.key
  tokenctl batch token2 --ledger tokens.ledger --station-key station.key --count 10`,
		Args: cobra.NoArgs,
		PreRunE: func(*cobra.Command, []string) error {
			if out == "" {
				return usagef("give -o FILE: the station key is never printed")
			}
			return nil
		},
	}, false, false, func(ctx context.Context, l *ledger.Ledger, lf *ledgerFlags, _ []string) error {
		return done(f, l.WriteStationKey(out), nil, f.Err, "station key for ledger %s written to %s\n", l.ID(), out)
	})
	c.Flags().StringVarP(&out, "output", "o", "", "station key file to create (must not exist)")
	return c
}

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
			return done(f, err, res, f.Out, "%s", res.Summary(args[1]))
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
			path, err := ledger.Migrate(c.Context(), path)
			return done(f, err, nil, f.Err, "ledger %s: schema up to date\n", ledger.SpecName(path))
		},
	}
	c.Flags().StringVar(&path, "ledger", "", "ledger file or database (default: $TOKENCTL_LEDGER)")
	return c
}

func newLedgerStatusCmd(f *factory) *cobra.Command {
	var stale time.Duration
	c := ledgerCommand(&cobra.Command{
		Use:   "status",
		Short: "Per-station counts, and pending records older than --stale (a station that crashed)",
		Long: `Count the current records of each station by state, and list the records
still pending after --stale: a station that crashed or lost its connection
mid-token. Such a token is re-burned with its recorded seed when it is
presented again to a batch.`,
		Example: "  tokenctl ledger status --ledger tokens.ledger --stale 15m",
		Args:    cobra.NoArgs,
	}, false, false, func(ctx context.Context, l *ledger.Ledger, lf *ledgerFlags, _ []string) error {
		st, err := l.Status(ctx, stale)
		return done(f, err, st, f.Out, "%v", st)
	})
	c.Flags().DurationVar(&stale, "stale", 30*time.Minute, "list pending records not updated for this long")
	return c
}
