package main

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tokenctl/tokenctl/internal/exitcode"
	"github.com/tokenctl/tokenctl/ledger"
)

// maxUserLen bounds an assigned user name (a UPN is at most 113
// characters in Entra; e-mail addresses at most 254).
const maxUserLen = 256

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
	}
	lf.add(c, false)
	lf.addOperator(c)
	c.Flags().StringVar(&file, "file", "", `"serial,user" lines ('-' for standard input)`)
	c.RunE = func(cmd *cobra.Command, args []string) error {
		var pairs []assignment
		if file != "" {
			var err error
			if pairs, err = readAssignments(cmd.InOrStdin(), file); err != nil {
				return err
			}
		} else {
			pairs = []assignment{{serial: strings.TrimSpace(args[0]), user: strings.TrimSpace(args[1]), where: "argument"}}
		}
		l, err := lf.open(cmd.Context())
		if err != nil {
			return err
		}
		defer l.Close()
		if err := l.CanWrite(); err != nil {
			return ledgerErr(err)
		}
		var problems []string
		seen := map[string]string{}
		for _, p := range pairs {
			if first, ok := seen[p.serial]; ok {
				problems = append(problems, fmt.Sprintf("%s: serial: %s given twice (first at %s)", p.where, p.serial, first))
				continue
			}
			seen[p.serial] = p.where
			if err := checkUser(p.user); err != nil {
				problems = append(problems, fmt.Sprintf("%s: user: %v", p.where, err))
			}
			if err := ledger.CheckSerial(p.serial); err != nil {
				problems = append(problems, fmt.Sprintf("%s: serial: %v", p.where, err))
				continue
			}
			switch _, err := l.Get(cmd.Context(), p.serial); {
			case errors.Is(err, ledger.ErrNotFound):
				problems = append(problems, fmt.Sprintf("%s: serial: %s is not in the ledger", p.where, p.serial))
			case err != nil:
				return ledgerErr(err)
			}
		}
		if len(problems) > 0 {
			for _, p := range problems {
				fmt.Fprintln(cmd.ErrOrStderr(), p)
			}
			return exitcode.DataErr(fmt.Errorf("%d %s: nothing assigned", len(problems), plural(len(problems), "problem")))
		}
		type assigned struct {
			Serial string `json:"serial"`
			User   string `json:"user"`
			Record int64  `json:"record"`
		}
		var done []assigned
		for _, p := range pairs {
			r, err := l.Assign(cmd.Context(), p.serial, p.user, lf.operatorName())
			if err != nil {
				return ledgerErr(fmt.Errorf("assigning %s (%d of %d done): %w", p.serial, len(done), len(pairs), err))
			}
			done = append(done, assigned{r.Serial, r.User, r.ID})
		}
		if f.JSON {
			return writeJSON(cmd.OutOrStdout(), map[string]any{"assigned": done})
		}
		fmt.Fprintf(cmd.OutOrStdout(), "%d %s assigned\n", len(done), plural(len(done), "token"))
		return nil
	}
	return c
}

type assignment struct {
	serial, user string
	where        string // file:line, for messages
}

// readAssignments reads "serial,user" lines from name ('-': in).
func readAssignments(in io.Reader, name string) ([]assignment, error) {
	display := name
	if name == "-" {
		display = "<stdin>"
	} else {
		f, err := os.Open(name)
		if err != nil {
			return nil, exitcode.DataErr(err)
		}
		defer f.Close()
		in = f
	}
	r := csv.NewReader(&lineBound{r: in, max: maxAssignLine})
	r.FieldsPerRecord = -1
	r.Comment = '#'
	r.TrimLeadingSpace = true
	var out []assignment
	var problems []string
	for first := true; ; first = false {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		line, _ := r.FieldPos(0)
		where := fmt.Sprintf("%s:%d", display, line)
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, exitcode.DataErr(fmt.Errorf("%s:%d: columns: %v", display, pe.Line, pe.Err))
			}
			return nil, exitcode.DataErr(fmt.Errorf("%s: %w", display, err))
		}
		if first && strings.EqualFold(strings.TrimSpace(strings.TrimPrefix(rec[0], "\ufeff")), "serial") {
			continue
		}
		if first {
			rec[0] = strings.TrimPrefix(rec[0], "\ufeff")
		}
		if len(rec) != 2 {
			problems = append(problems, fmt.Sprintf("%s: columns: %d, want serial,user", where, len(rec)))
			continue
		}
		out = append(out, assignment{serial: strings.TrimSpace(rec[0]), user: strings.TrimSpace(rec[1]), where: where})
	}
	if len(problems) > 0 {
		return nil, exitcode.DataErr(errors.New(strings.Join(problems, "\n")))
	}
	if len(out) == 0 {
		return nil, exitcode.DataErr(fmt.Errorf("%s: no serial,user lines", display))
	}
	return out, nil
}

// checkUser says why u cannot be an assigned user name.
func checkUser(u string) error {
	switch {
	case u == "":
		return errors.New("empty")
	case len(u) > maxUserLen:
		return fmt.Errorf("%d characters, at most %d", len(u), maxUserLen)
	}
	for _, r := range u {
		if r < 0x20 || r == 0x7f {
			return errors.New("contains a control character")
		}
	}
	return nil
}

// maxAssignLine bounds a "serial,user" line: a serial is at most 128
// characters and a user name is short, so a longer line is a wrong file
// (or a quote left open), refused with its line number rather than read
// to the end of the input as one field.
const maxAssignLine = 4096

// lineBound passes r on and fails at the first line longer than max bytes.
type lineBound struct {
	r              io.Reader
	max, cur, line int
}

func (b *lineBound) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	for i := 0; i < n; i++ {
		if p[i] == '\n' {
			b.line++
			b.cur = 0
			continue
		}
		if b.cur++; b.cur > b.max {
			return i, fmt.Errorf("line %d: longer than %d bytes", b.line+1, b.max)
		}
	}
	return n, err
}
