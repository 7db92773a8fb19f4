package main

import (
	"bufio"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/tokenctl/tokenctl/convert"
	"github.com/tokenctl/tokenctl/internal/exitcode"
	"github.com/tokenctl/tokenctl/internal/secretin"
	"github.com/tokenctl/tokenctl/ledger"
	"github.com/tokenctl/tokenctl/ledger/pgstore"
	"github.com/tokenctl/tokenctl/seed"
)

// ledgerFlags are the options every command on a ledger shares: where it
// is, and the key that opens its secrets.
type ledgerFlags struct {
	path       string
	stationKey string
	identity   []string
	pass       secretin.Source
	operator   string
	keyNeeded  bool
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

func (f *ledgerFlags) ledgerPath() (string, error) {
	f.path = cmp.Or(f.path, os.Getenv("TOKENCTL_LEDGER"))
	if f.path == "" {
		def, err := ledger.DefaultPath()
		if err != nil {
			return "", usagef("no ledger: give --ledger FILE or set TOKENCTL_LEDGER (%v)", err)
		}
		if _, err := os.Stat(def); err != nil {
			return "", usagef("no ledger: give --ledger FILE, set TOKENCTL_LEDGER, or create %s with 'tokenctl ledger init'", def)
		}
		f.path = def
	}
	return f.path, nil
}

func (f *ledgerFlags) operatorName() string { return cmp.Or(f.operator, ledger.DefaultOperator()) }

// open opens the ledger with the keys given: one is required when
// keyNeeded.
func (f *ledgerFlags) open(ctx context.Context) (*ledger.Ledger, error) {
	path, err := f.ledgerPath()
	if err != nil {
		return nil, err
	}
	if len(f.identity) > 0 && f.pass.IsSet() {
		return nil, usagef("give the ledger's identity file or its passphrase, not both")
	}
	if f.keyNeeded && len(f.identity) == 0 && !f.pass.IsSet() {
		return nil, usagef("this needs the ledger's key: give --identity-file FILE or --passphrase-file/--passphrase-env")
	}
	k := ledger.Keys{IdentityFiles: f.identity, StationKeyFile: cmp.Or(f.stationKey, os.Getenv("TOKENCTL_STATION_KEY_FILE"))}
	if f.pass.IsSet() {
		p, err := f.pass.Read()
		if err != nil {
			return nil, usagef("passphrase: %v", err)
		}
		k.Passphrase = []byte(p)
		defer seed.Zero(k.Passphrase)
	}
	l, err := ledger.OpenFileWith(ctx, path, k)
	if err != nil {
		return nil, exitcode.DataErr(err)
	}
	return l, nil
}

// dash is s, or "-" for nothing (batch.go's result lines).
func dash(s string) string { return cmp.Or(s, "-") }

// filterFlags select ledger records.
type filterFlags struct {
	batch, family   string
	station         string
	states, serials []string
	history         bool
}

func (f *filterFlags) add(c *cobra.Command) {
	c.Flags().StringVar(&f.batch, "batch", "", "only this batch")
	c.Flags().StringVar(&f.family, "family", "", "only this family: token2, yubikey or imported")
	c.Flags().StringSliceVar(&f.states, "state", nil, "only these states (pending, programmed, verified, failed; comma-separated or repeated)")
	c.Flags().StringSliceVar(&f.serials, "serial", nil, "only these serials (comma-separated or repeated)")
	c.Flags().BoolVar(&f.history, "history", false, "include records replaced by a reprogram")
	c.Flags().StringVar(&f.station, "station", "", "only the records of this station")
}

func (f *filterFlags) filter() (ledger.Filter, error) {
	lf, err := ledger.ParseFilter(f.batch, f.family, f.states, f.serials, f.history)
	if err != nil {
		return lf, usagef("--%v", err)
	}
	lf.Station = f.station
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
	path, identityOut string
	pass              secretin.Source
	pq, grants        bool
	stationRole       string
	operatorRole      string
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
	c.Flags().StringVar(&o.path, "ledger", "", "ledger file to create (or give it as the argument; default $TOKENCTL_LEDGER)")
	c.Flags().StringVar(&o.identityOut, "identity-out", "", "write the ledger's private key (age identity) to this new file, mode 0600")
	c.Flags().StringVar(&o.pass.File, "passphrase-file", "", "wrap the key in the ledger under the passphrase in this file ('-' for standard input)")
	c.Flags().StringVar(&o.pass.Env, "passphrase-env", "", "wrap the key in the ledger under the passphrase in this environment variable")
	c.Flags().BoolVar(&o.pq, "post-quantum", false, "use a hybrid ML-KEM-768 + X25519 key (age1pq...) instead of X25519")
	c.Flags().BoolVar(&o.grants, "grants", false, "PostgreSQL: grant the station and operator roles what they need (see docs/postgres.md)")
	c.Flags().StringVar(&o.stationRole, "station-role", "tokenctl_station", "PostgreSQL: the (existing) role stations log in as")
	c.Flags().StringVar(&o.operatorRole, "operator-role", "tokenctl_operator", "PostgreSQL: the (existing) role that exports")
	return c
}

func (o *ledgerInitOptions) run(ctx context.Context, f *factory, args []string) error {
	if len(args) == 1 {
		if o.path != "" && o.path != args[0] {
			return usagef("give the ledger as the argument or as --ledger, not both")
		}
		o.path = args[0]
	}
	if o.path == "" && os.Getenv("TOKENCTL_LEDGER") == "" {
		// The default place: created, private, on first use.
		def, err := ledger.DefaultPath()
		if err != nil {
			return usagef("give the ledger to create (%v)", err)
		}
		if err := os.MkdirAll(filepath.Dir(def), 0o700); err != nil {
			return exitcode.DataErr(err)
		}
		o.path = def
	}
	path := cmp.Or(o.path, os.Getenv("TOKENCTL_LEDGER"))
	if o.identityOut == "" && !o.pass.IsSet() {
		return usagef("give --identity-out FILE, a passphrase (--passphrase-file/--passphrase-env), or both: otherwise no one could read the ledger's secrets")
	}
	co := ledger.CreateOptions{PostQuantum: o.pq}
	if o.pass.IsSet() {
		p, err := o.pass.Read()
		if err != nil {
			return usagef("passphrase: %v", err)
		}
		co.Passphrase = []byte(p)
		defer seed.Zero(co.Passphrase)
	}
	if o.grants && ledger.SpecScheme(path) != "postgres" {
		return usagef("--grants is for a PostgreSQL ledger")
	}
	l, err := ledger.CreateFiles(ctx, path, o.identityOut, co)
	if err != nil {
		return err
	}
	defer l.Close()
	if o.grants {
		if err := l.Store().(*pgstore.Store).Grant(ctx, o.stationRole, o.operatorRole); err != nil {
			return fmt.Errorf("ledger created, but the grants failed: %w", err)
		}
	}
	path = ledger.SpecName(path)
	if f.JSON {
		return writeJSON(f.Out, map[string]any{
			"ledger": path, "id": l.ID(), "recipient": l.Recipient(),
			"identity_file": o.identityOut, "passphrase": o.pass.IsSet(),
		})
	}
	fmt.Fprintf(f.Out, "ledger %s created\npublic key: %s\n", path, l.Recipient())
	if o.identityOut != "" {
		fmt.Fprintf(f.Out, "private key: %s (keep it safe and apart from the ledger)\n", o.identityOut)
	}
	if o.pass.IsSet() {
		fmt.Fprintln(f.Out, "private key also wrapped in the ledger under the passphrase")
	}
	return nil
}

type ledgerListOptions struct {
	lf ledgerFlags
	ff filterFlags
}

func newLedgerListCmd(f *factory) *cobra.Command {
	var o ledgerListOptions
	c := &cobra.Command{
		Use:   "list [--batch B] [--state S] [--serial S] [--family F]",
		Short: "List the tokens in a ledger (no secrets)",
		Example: `  tokenctl ledger list --ledger tokens.ledger --batch box-17
  tokenctl ledger list --state pending,failed --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return o.run(cmd.Context(), f) },
	}
	o.lf.add(c, false)
	o.ff.add(c)
	return c
}

func (o *ledgerListOptions) run(ctx context.Context, f *factory) error {
	filter, err := o.ff.filter()
	if err != nil {
		return err
	}
	l, err := o.lf.open(ctx)
	if err != nil {
		return err
	}
	defer l.Close()
	if f.JSON {
		recs, err := l.Records(ctx, filter)
		if err != nil {
			return err
		}
		return writeJSON(f.Out, recs)
	}
	t := ledger.NewTable(f.Out)
	if err := l.List(ctx, filter, t.Add); err != nil {
		return err
	}
	t.Flush()
	fmt.Fprintf(f.Err, "%d %s\n", t.Len, plural(t.Len, "token"))
	return nil
}

func newLedgerShowCmd(f *factory) *cobra.Command {
	var lf ledgerFlags
	c := &cobra.Command{
		Use:   "show SERIAL...",
		Short: "Show a token's record and history (no secrets)",
		Example: `  tokenctl ledger show --ledger tokens.ledger 86596120001
  tokenctl ledger show 86596120001 86596120002 --json`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return runLedgerShow(cmd.Context(), f, &lf, args) },
	}
	lf.add(c, false)
	return c
}

func runLedgerShow(ctx context.Context, f *factory, lf *ledgerFlags, serials []string) error {
	l, err := lf.open(ctx)
	if err != nil {
		return err
	}
	defer l.Close()
	all := []*ledger.TokenHistory{}
	var missing []string
	for _, s := range serials {
		h, err := l.TokenHistory(ctx, s)
		switch {
		case errors.Is(err, ledger.ErrNotFound):
			missing = append(missing, s)
		case err != nil:
			return err
		default:
			all = append(all, h)
		}
	}
	if f.JSON {
		if err := writeJSON(f.Out, all); err != nil {
			return err
		}
	} else {
		for i, h := range all {
			if i > 0 {
				fmt.Fprintln(f.Out)
			}
			h.Describe(f.Out)
		}
	}
	if len(missing) > 0 {
		return exitcode.DataErr(fmt.Errorf("not in the ledger: %s", strings.Join(missing, ", ")))
	}
	return nil
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
	if len(filter.States) == 0 {
		filter.States = []ledger.State{ledger.Programmed, ledger.Verified}
	}
	if _, ok := convert.Lookup(o.to); !ok {
		return usagef("--to %q: unknown format (see tokenctl formats)", o.to)
	}
	co := &convert.Options{Split: o.split, Stdout: f.Out, OnProblem: problemPrinter(f)}
	if err := o.pskc(co); err != nil {
		return err
	}
	if o.out == "" || o.out == "-" {
		if f.JSON {
			return usagef("--json prints the report on standard output: give -o for the exported file")
		}
		if f.OutTTY && !o.force {
			return usagef("not printing secrets on a terminal: give -o FILE (or --force)")
		}
	}
	l, err := o.lf.open(ctx)
	if err != nil {
		return err
	}
	defer l.Close()
	var skip func(r *ledger.Record, err error)
	if o.skipBad {
		skip = func(r *ledger.Record, err error) {
			fmt.Fprintf(f.Err, "%s: %v: left out (--skip-bad-records)\n", o.lf.path, err)
		}
	}
	rd, recs, err := l.ReaderSkipping(ctx, filter, skip)
	if err != nil {
		return err
	}
	if len(recs) == 0 {
		return exitcode.DataErr(errors.New("no token in the ledger matches the selection; nothing written"))
	}
	rep, err := convert.WriteStream(o.out, o.to, rd, "ledger record", co)
	if rep != nil && f.JSON {
		if jerr := writeJSON(f.Out, rep); jerr != nil && err == nil {
			err = jerr
		}
	} else if rep != nil && err == nil && o.out != "" && o.out != "-" {
		fmt.Fprintf(f.Err, "%d %s exported to %s\n", rep.Written, plural(rep.Written, "token"), strings.Join(rep.Outputs, ", "))
	}
	return err
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
	batch := cmp.Or(o.batch, "import-"+time.Now().Format("20060102-150405"))
	l, err := o.lf.open(ctx)
	if err != nil {
		return err
	}
	defer l.Close()
	if err := l.CanWrite(); err != nil {
		return err
	}
	var srcs []ledger.Source
	for _, name := range files {
		var r io.Reader = f.In
		display := "<stdin>"
		if name != "-" {
			file, err := os.Open(name)
			if err != nil {
				return exitcode.DataErr(err)
			}
			defer file.Close()
			r, display = file, name
		}
		br := bufio.NewReaderSize(r, 64<<10)
		format, err := convert.InputFormat(o.in.from, br, display)
		if err != nil {
			return err
		}
		rd, err := format.Open(br, display, co)
		if err != nil {
			return exitcode.DataErr(err)
		}
		srcs = append(srcs, ledger.Source{Name: display, R: rd})
	}
	res, errs := l.Import(ctx, srcs, ledger.Entry{Family: fam, Batch: batch, Operator: o.lf.operatorName(), Reprogram: o.reprogram, Manufacturer: co.Manufacturer, ModelFill: co.Model})
	for _, w := range res.WarningTexts() {
		fmt.Fprintln(f.Err, w)
	}
	if len(errs) > 0 {
		for _, e := range errs {
			fmt.Fprintln(f.Err, e)
		}
		return exitcode.DataErr(fmt.Errorf("%d %s: nothing recorded", len(errs), plural(len(errs), "problem")))
	}
	if f.JSON {
		return writeJSON(f.Out, map[string]any{"imported": res.Imported, "replaced": res.Replaced, "batch": batch, "warnings": res.WarningTexts()})
	}
	fmt.Fprintf(f.Err, "%d %s recorded in batch %s", res.Imported, plural(res.Imported, "token"), batch)
	if res.Replaced > 0 {
		fmt.Fprintf(f.Err, " (%d replacing earlier records)", res.Replaced)
	}
	fmt.Fprintln(f.Err)
	return nil
}
