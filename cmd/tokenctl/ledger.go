package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/user"
	"path/filepath"
	"runtime"
	"strings"
	"text/tabwriter"
	"time"

	"filippo.io/age"
	"github.com/mattn/go-isatty"
	"github.com/spf13/cobra"

	"github.com/tokenctl/tokenctl/convert"
	"github.com/tokenctl/tokenctl/internal/exitcode"
	"github.com/tokenctl/tokenctl/internal/fsutil"
	"github.com/tokenctl/tokenctl/internal/secretin"
	"github.com/tokenctl/tokenctl/ledger"
	"github.com/tokenctl/tokenctl/seed"
)

// minPassphrase is the shortest ledger passphrase accepted.
const minPassphrase = 8

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
	if f.path == "" {
		f.path = os.Getenv("TOKENCTL_LEDGER")
	}
	if f.path == "" {
		def, err := defaultLedger()
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

// defaultLedger is where the ledger lives when none is named: under the
// user's local application data, never a roaming or shared folder:
// %LOCALAPPDATA%\tokenctl on Windows, ~/Library/Application Support/tokenctl
// on macOS, $XDG_DATA_HOME/tokenctl (~/.local/share/tokenctl) elsewhere.
func defaultLedger() (string, error) {
	var dir string
	switch runtime.GOOS {
	case "windows":
		dir = os.Getenv("LOCALAPPDATA")
	case "darwin":
		if h, err := os.UserHomeDir(); err == nil {
			dir = filepath.Join(h, "Library", "Application Support")
		}
	default:
		dir = os.Getenv("XDG_DATA_HOME")
		if dir == "" {
			if h, err := os.UserHomeDir(); err == nil {
				dir = filepath.Join(h, ".local", "share")
			}
		}
	}
	if dir == "" {
		return "", errors.New("no folder for application data")
	}
	return filepath.Join(dir, "tokenctl", "tokens.ledger"), nil
}

func (f *ledgerFlags) operatorName() string {
	if f.operator != "" {
		return f.operator
	}
	if o := os.Getenv("TOKENCTL_OPERATOR"); o != "" {
		return o
	}
	if u, err := user.Current(); err == nil {
		return u.Username
	}
	return os.Getenv("USER")
}

func (f *ledgerFlags) hasKey() bool { return len(f.identity) > 0 || f.pass.IsSet() }

// open opens the ledger, unlocking it when a key was given (required when
// keyNeeded).
func (f *ledgerFlags) open(ctx context.Context) (*ledger.Ledger, error) {
	path, err := f.ledgerPath()
	if err != nil {
		return nil, err
	}
	if len(f.identity) > 0 && f.pass.IsSet() {
		return nil, usagef("give the ledger's identity file or its passphrase, not both")
	}
	if f.keyNeeded && !f.hasKey() {
		return nil, usagef("this needs the ledger's key: give --identity-file FILE or --passphrase-file/--passphrase-env")
	}
	l, err := ledger.OpenFile(ctx, path)
	if err != nil {
		return nil, exitcode.DataErr(err)
	}
	if err := f.unlock(ctx, l); err != nil {
		l.Close()
		return nil, err
	}
	sk := f.stationKey
	if sk == "" {
		sk = os.Getenv("TOKENCTL_STATION_KEY_FILE")
	}
	if sk != "" {
		b, err := fsutil.ReadPrivate(sk, 1<<16)
		if err == nil {
			err = l.UseStationKey(ctx, b)
		}
		if err != nil {
			l.Close()
			return nil, exitcode.DataErr(fmt.Errorf("station key %s: %w", sk, err))
		}
	}
	return l, nil
}

func (f *ledgerFlags) unlock(ctx context.Context, l *ledger.Ledger) error {
	switch {
	case len(f.identity) > 0:
		var ids []age.Identity
		for _, p := range f.identity {
			got, err := ledger.ReadIdentityFile(p)
			if err != nil {
				return exitcode.DataErr(fmt.Errorf("identity file: %w", err))
			}
			ids = append(ids, got...)
		}
		if err := l.Unlock(ctx, ids...); err != nil {
			return exitcode.DataErr(fmt.Errorf("%s: %w", f.path, err))
		}
	case f.pass.IsSet():
		p, err := f.pass.Read()
		if err != nil {
			return usagef("passphrase: %v", err)
		}
		b := []byte(p)
		defer seed.Zero(b)
		if err := l.UnlockPassphrase(ctx, b); err != nil {
			return exitcode.DataErr(fmt.Errorf("%s: %w", f.path, err))
		}
	}
	return nil
}

// ledgerErr maps ledger errors to exit codes.
func ledgerErr(err error) error {
	switch {
	case errors.Is(err, ledger.ErrLocked):
		return exitcode.UsageErr(fmt.Errorf("%w (give --identity-file or --passphrase-file)", err))
	case errors.Is(err, ledger.ErrNoAuthKey), errors.Is(err, ledger.ErrLegacy):
		return exitcode.UsageErr(err)
	}
	return err
}

// filterFlags select ledger records.
type filterFlags struct {
	batch, family string
	states        []string
	serials       []string
	history       bool
}

func (f *filterFlags) add(c *cobra.Command) {
	c.Flags().StringVar(&f.batch, "batch", "", "only this batch")
	c.Flags().StringVar(&f.family, "family", "", "only this family: token2, yubikey or imported")
	c.Flags().StringSliceVar(&f.states, "state", nil, "only these states (pending, programmed, verified, failed; comma-separated or repeated)")
	c.Flags().StringSliceVar(&f.serials, "serial", nil, "only these serials (comma-separated or repeated)")
	c.Flags().BoolVar(&f.history, "history", false, "include records replaced by a reprogram")
}

func (f *filterFlags) filter() (ledger.Filter, error) {
	lf := ledger.Filter{Batch: f.batch, Serials: f.serials, History: f.history}
	if f.family != "" {
		fam, err := ledger.ParseFamily(f.family)
		if err != nil {
			return lf, usagef("--family: %v", err)
		}
		lf.Family = fam
	}
	for _, s := range f.states {
		st, err := ledger.ParseState(s)
		if err != nil {
			return lf, usagef("--state: %v", err)
		}
		lf.States = append(lf.States, st)
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
		newLedgerVerifyCmd(f), newLedgerUpgradeCmd(f), newLedgerStationKeyCmd(f))
	return c
}

func newLedgerInitCmd(f *factory) *cobra.Command {
	var identityOut string
	var pass secretin.Source
	var pq bool
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
	}
	var lf ledgerFlags
	c.Flags().StringVar(&lf.path, "ledger", "", "ledger file to create (or give it as the argument; default $TOKENCTL_LEDGER)")
	c.Flags().StringVar(&identityOut, "identity-out", "", "write the ledger's private key (age identity) to this new file, mode 0600")
	c.Flags().StringVar(&pass.File, "passphrase-file", "", "wrap the key in the ledger under the passphrase in this file ('-' for standard input)")
	c.Flags().StringVar(&pass.Env, "passphrase-env", "", "wrap the key in the ledger under the passphrase in this environment variable")
	c.Flags().BoolVar(&pq, "post-quantum", false, "use a hybrid ML-KEM-768 + X25519 key (age1pq...) instead of X25519")
	c.RunE = func(cmd *cobra.Command, args []string) error {
		if len(args) == 1 {
			if lf.path != "" && lf.path != args[0] {
				return usagef("give the ledger as the argument or as --ledger, not both")
			}
			lf.path = args[0]
		}
		if lf.path == "" && os.Getenv("TOKENCTL_LEDGER") == "" {
			// The default place: created, private, on first use.
			def, err := defaultLedger()
			if err != nil {
				return usagef("give the ledger to create (%v)", err)
			}
			if err := os.MkdirAll(filepath.Dir(def), 0o700); err != nil {
				return exitcode.DataErr(err)
			}
			lf.path = def
		}
		path, err := lf.ledgerPath()
		if err != nil {
			return err
		}
		if identityOut == "" && !pass.IsSet() {
			return usagef("give --identity-out FILE, a passphrase (--passphrase-file/--passphrase-env), or both: otherwise no one could read the ledger's secrets")
		}
		if identityOut != "" {
			if sameFile(identityOut, path) {
				return usagef("the identity file must not be the ledger")
			}
			if _, err := os.Lstat(identityOut); err == nil {
				return exitcode.DataErr(fmt.Errorf("%s already exists: not overwriting a key", identityOut))
			}
		}
		o := ledger.CreateOptions{PostQuantum: pq}
		if pass.IsSet() {
			p, err := pass.Read()
			if err != nil {
				return usagef("passphrase: %v", err)
			}
			if len([]rune(p)) < minPassphrase {
				return usagef("passphrase: at least %d characters", minPassphrase)
			}
			o.Passphrase = []byte(p)
			defer seed.Zero(o.Passphrase)
		}
		ctx := cmd.Context()
		l, idf, err := ledger.CreateFile(ctx, path, o)
		if err != nil {
			return exitcode.DataErr(err)
		}
		defer seed.Zero(idf)
		if identityOut != "" {
			err := fsutil.WriteAtomic(identityOut, func(w io.Writer) error {
				_, err := w.Write(idf)
				return err
			})
			if err != nil {
				l.Close()
				removeLedger(path)
				return exitcode.DataErr(fmt.Errorf("writing the identity file (ledger not created): %w", err))
			}
		}
		defer l.Close()
		if f.JSON {
			return writeJSON(cmd.OutOrStdout(), map[string]any{
				"ledger": path, "id": l.ID(), "recipient": l.Recipient(),
				"identity_file": identityOut, "passphrase": pass.IsSet(),
			})
		}
		w := cmd.OutOrStdout()
		fmt.Fprintf(w, "ledger %s created\npublic key: %s\n", path, l.Recipient())
		if identityOut != "" {
			fmt.Fprintf(w, "private key: %s (keep it safe and apart from the ledger)\n", identityOut)
		}
		if pass.IsSet() {
			fmt.Fprintln(w, "private key also wrapped in the ledger under the passphrase")
		}
		return nil
	}
	return c
}

func sameFile(a, b string) bool {
	x, err1 := filepath.Abs(a)
	y, err2 := filepath.Abs(b)
	return err1 == nil && err2 == nil && x == y
}

func removeLedger(path string) {
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		os.Remove(p)
	}
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
	}
	lf.add(c, false)
	ff.add(c)
	c.RunE = func(cmd *cobra.Command, args []string) error {
		filter, err := ff.filter()
		if err != nil {
			return err
		}
		l, err := lf.open(cmd.Context())
		if err != nil {
			return err
		}
		defer l.Close()
		out := cmd.OutOrStdout()
		if f.JSON {
			recs := []*ledger.Record{}
			if err := l.List(cmd.Context(), filter, func(r *ledger.Record) error {
				r.Sealed = nil
				recs = append(recs, r)
				return nil
			}); err != nil {
				return ledgerErr(err)
			}
			return writeJSON(out, recs)
		}
		tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "SERIAL\tFAMILY\tMODEL\tKIND\tSTATE\tBATCH\tUSER\tUPDATED")
		n := 0
		err = l.List(cmd.Context(), filter, func(r *ledger.Record) error {
			n++
			state := string(r.State)
			if !r.Current() {
				state += fmt.Sprintf(" (replaced by #%d)", r.ReplacedBy)
			}
			_, err := fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Serial, r.Family, dash(r.Model), kindDesc(r),
				state, dash(r.Batch), dash(r.User), r.Updated.Local().Format("2006-01-02 15:04:05"))
			return err
		})
		if err != nil {
			return ledgerErr(err)
		}
		tw.Flush()
		fmt.Fprintf(cmd.ErrOrStderr(), "%d %s\n", n, plural(n, "token"))
		return nil
	}
	return c
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func kindDesc(r *ledger.Record) string {
	switch r.Kind {
	case seed.TOTP:
		return fmt.Sprintf("totp/%s/%d/%ds", r.Hash, digitsOr6(r.Digits), periodOr30(r.Period))
	case seed.HOTP:
		return fmt.Sprintf("hotp/%s/%d", r.Hash, digitsOr6(r.Digits))
	}
	return r.Kind.String()
}

func digitsOr6(d int) int {
	if d == 0 {
		return 6
	}
	return d
}

func periodOr30(p int) int {
	if p == 0 {
		return 30
	}
	return p
}

func newLedgerShowCmd(f *factory) *cobra.Command {
	var lf ledgerFlags
	c := &cobra.Command{
		Use:   "show SERIAL...",
		Short: "Show a token's record and history (no secrets)",
		Example: `  tokenctl ledger show --ledger tokens.ledger 86596120001
  tokenctl ledger show 86596120001 86596120002 --json`,
		Args: cobra.MinimumNArgs(1),
	}
	lf.add(c, false)
	c.RunE = func(cmd *cobra.Command, args []string) error {
		l, err := lf.open(cmd.Context())
		if err != nil {
			return err
		}
		defer l.Close()
		type shown struct {
			Serial  string           `json:"serial"`
			Records []*ledger.Record `json:"records"`
			Events  []ledger.Event   `json:"events"`
		}
		var all []shown
		var missing []string
		for _, s := range args {
			hist, err := l.History(cmd.Context(), s)
			if err != nil {
				return ledgerErr(err)
			}
			if len(hist) == 0 {
				missing = append(missing, s)
				continue
			}
			evs, err := l.Events(cmd.Context(), s)
			if err != nil {
				return ledgerErr(err)
			}
			for _, r := range hist {
				r.Sealed = nil
			}
			all = append(all, shown{s, hist, evs})
		}
		out := cmd.OutOrStdout()
		if f.JSON {
			if all == nil {
				all = []shown{}
			}
			if err := writeJSON(out, all); err != nil {
				return err
			}
		} else {
			for i, sh := range all {
				if i > 0 {
					fmt.Fprintln(out)
				}
				printRecord(out, sh.Records[len(sh.Records)-1])
				if len(sh.Records) > 1 {
					fmt.Fprintf(out, "  earlier records:\n")
					for _, r := range sh.Records[:len(sh.Records)-1] {
						fmt.Fprintf(out, "    #%d %s, batch %s, created %s, replaced by #%d\n", r.ID, r.State, dash(r.Batch), stamp(r.Created), r.ReplacedBy)
					}
				}
				fmt.Fprintf(out, "  history:\n")
				for _, e := range sh.Events {
					fmt.Fprintf(out, "    %s  #%d %s", stamp(e.At), e.RecordID, e.What)
					if e.Operator != "" {
						fmt.Fprintf(out, " by %s", e.Operator)
					}
					if e.Detail != "" {
						fmt.Fprintf(out, ": %s", e.Detail)
					}
					fmt.Fprintln(out)
				}
			}
		}
		if len(missing) > 0 {
			return exitcode.DataErr(fmt.Errorf("not in the ledger: %s", strings.Join(missing, ", ")))
		}
		return nil
	}
	return c
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Local().Format("2006-01-02 15:04:05")
}

func printRecord(w io.Writer, r *ledger.Record) {
	fmt.Fprintf(w, "serial:      %s (record #%d)\n", r.Serial, r.ID)
	fmt.Fprintf(w, "family:      %s %s\n", r.Family, r.Model)
	fmt.Fprintf(w, "token:       %s", kindDesc(r))
	if r.Kind == seed.HOTP {
		fmt.Fprintf(w, ", counter %d", r.Counter)
	}
	if r.Slot != 0 {
		fmt.Fprintf(w, ", slot %d", r.Slot)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "state:       %s", r.State)
	if r.Error != "" {
		fmt.Fprintf(w, " (%s)", r.Error)
	}
	if r.Owner != "" && r.State == ledger.Pending {
		fmt.Fprintf(w, ", held by %s until %s", r.Owner, stamp(r.LeaseUntil))
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "batch:       %s\n", dash(r.Batch))
	fmt.Fprintf(w, "operator:    %s\n", dash(r.Operator))
	fmt.Fprintf(w, "user:        %s\n", dash(r.User))
	if r.Source != "" {
		fmt.Fprintf(w, "imported:    from %s\n", r.Source)
	}
	fmt.Fprintf(w, "created:     %s\n", stamp(r.Created))
	fmt.Fprintf(w, "programmed:  %s\n", stamp(r.Programmed))
	fmt.Fprintf(w, "verified:    %s\n", stamp(r.Verified))
	if r.Replaces != 0 {
		fmt.Fprintf(w, "replaces:    record #%d\n", r.Replaces)
	}
}

func newLedgerExportCmd(f *factory) *cobra.Command {
	var lf ledgerFlags
	var ff filterFlags
	var to, out string
	var split, force, skipBad bool
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
	}
	lf.add(c, true)
	ff.add(c)
	c.Flags().StringVar(&to, "to", "", "output format (required; see 'tokenctl formats')")
	c.Flags().StringVarP(&out, "output", "o", "", "output file (default: standard output, not a terminal)")
	c.Flags().BoolVar(&split, "split", false, "write one file per token type when the target takes one type per file (Duo)")
	c.Flags().BoolVar(&force, "force", false, "print secrets even on a terminal")
	c.Flags().BoolVar(&skipBad, "skip-bad-records", false, "leave out (and name) records that fail authentication instead of exporting nothing")
	c.MarkFlagRequired("to")
	pskc := pskcFlags(c)
	c.RunE = func(cmd *cobra.Command, args []string) error {
		filter, err := ff.filter()
		if err != nil {
			return err
		}
		if len(filter.States) == 0 {
			filter.States = []ledger.State{ledger.Programmed, ledger.Verified}
		}
		if _, ok := convert.Lookup(to); !ok {
			return usagef("--to %q: unknown format (see tokenctl formats)", to)
		}
		o := &convert.Options{Split: split, Stdout: cmd.OutOrStdout(), OnProblem: problemPrinter(f)}
		if err := pskc(o); err != nil {
			return err
		}
		if out == "" || out == "-" {
			if f.JSON {
				return usagef("--json prints the report on standard output: give -o for the exported file")
			}
			if f, ok := cmd.OutOrStdout().(*os.File); ok && isatty.IsTerminal(f.Fd()) && !force {
				return usagef("not printing secrets on a terminal: give -o FILE (or --force)")
			}
		}
		l, err := lf.open(cmd.Context())
		if err != nil {
			return err
		}
		defer l.Close()
		var skip func(r *ledger.Record, err error)
		if skipBad {
			skip = func(r *ledger.Record, err error) {
				fmt.Fprintf(cmd.ErrOrStderr(), "%s: %v: left out (--skip-bad-records)\n", lf.path, err)
			}
		}
		rd, recs, err := l.ReaderSkipping(cmd.Context(), filter, skip)
		if err != nil {
			return ledgerErr(err)
		}
		if len(recs) == 0 {
			return exitcode.DataErr(errors.New("no token in the ledger matches the selection; nothing written"))
		}
		rep, err := convert.WriteStream(out, to, rd, "ledger record", o)
		if rep != nil && f.JSON {
			if jerr := writeJSON(cmd.OutOrStdout(), rep); jerr != nil && err == nil {
				err = jerr
			}
		} else if rep != nil && err == nil && out != "" && out != "-" {
			fmt.Fprintf(cmd.ErrOrStderr(), "%d %s exported to %s\n", rep.Written, plural(rep.Written, "token"), strings.Join(rep.Outputs, ", "))
		}
		if err != nil {
			var ue *convert.UsageError
			if errors.As(err, &ue) {
				return exitcode.UsageErr(err)
			}
			return ledgerErr(err)
		}
		return nil
	}
	return c
}

func newLedgerImportCmd(f *factory) *cobra.Command {
	var lf ledgerFlags
	var in inputFlags
	var family, batch string
	var reprogram bool
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
	}
	lf.add(c, false)
	lf.addOperator(c)
	in.add(c)
	c.Flags().StringVar(&family, "family", "imported", "family to record: imported, token2 or yubikey")
	c.Flags().StringVar(&batch, "batch", "", "batch name to record (default: import-DATE)")
	c.Flags().BoolVar(&reprogram, "reprogram", false, "replace the records of serials already in the ledger")
	pskc := pskcFlags(c)
	c.RunE = func(cmd *cobra.Command, args []string) error {
		fam, err := ledger.ParseFamily(family)
		if err != nil {
			return usagef("--family: %v", err)
		}
		o := &convert.Options{Stdin: cmd.InOrStdin()}
		if err := in.options(o); err != nil {
			return err
		}
		if err := pskc(o); err != nil {
			return err
		}
		if batch == "" {
			batch = "import-" + time.Now().Format("20060102-150405")
		}
		l, err := lf.open(cmd.Context())
		if err != nil {
			return err
		}
		defer l.Close()
		if err := l.CanWrite(); err != nil {
			return ledgerErr(err)
		}
		var srcs []ledger.Source
		for _, name := range args {
			var r io.Reader
			display := name
			if name == "-" {
				r, display = cmd.InOrStdin(), "<stdin>"
			} else {
				f, err := os.Open(name)
				if err != nil {
					return exitcode.DataErr(err)
				}
				defer f.Close()
				r = f
			}
			br := bufio.NewReaderSize(r, 64<<10)
			format, err := inputFormat(in.from, br, display)
			if err != nil {
				return err
			}
			rd, err := format.Open(br, display, o)
			if err != nil {
				return exitcode.DataErr(err)
			}
			srcs = append(srcs, ledger.Source{Name: display, R: rd})
		}
		res, errs := l.Import(cmd.Context(), srcs, ledger.Entry{Family: fam, Batch: batch, Operator: lf.operatorName(), Reprogram: reprogram})
		for _, w := range importWarnings(res) {
			fmt.Fprintln(cmd.ErrOrStderr(), w)
		}
		if len(errs) > 0 {
			for _, e := range errs {
				fmt.Fprintln(cmd.ErrOrStderr(), e)
			}
			return exitcode.DataErr(fmt.Errorf("%d %s: nothing recorded", len(errs), plural(len(errs), "problem")))
		}
		if f.JSON {
			return writeJSON(cmd.OutOrStdout(), map[string]any{"imported": res.Imported, "replaced": res.Replaced, "batch": batch, "warnings": importWarnings(res)})
		}
		fmt.Fprintf(cmd.ErrOrStderr(), "%d %s recorded in batch %s", res.Imported, plural(res.Imported, "token"), batch)
		if res.Replaced > 0 {
			fmt.Fprintf(cmd.ErrOrStderr(), " (%d replacing earlier records)", res.Replaced)
		}
		fmt.Fprintln(cmd.ErrOrStderr())
		return nil
	}
	return c
}

func importWarnings(res *ledger.ImportResult) []string {
	out := []string{}
	if res == nil {
		return out
	}
	for _, w := range res.Warnings {
		out = append(out, w.Error())
	}
	return out
}
