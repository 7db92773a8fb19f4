package ledger

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"
)

// What the ledger's operations did, as reports a program prints: each
// marshals to JSON and prints as text through String.

// plural is n and s, with an s for n != 1.
func plural(n int, s string) string {
	if n == 1 {
		return "1 " + s
	}
	return fmt.Sprintf("%d %ss", n, s)
}

// ProblemsError is input refused as a whole: every problem found (each
// "where: field: what is wrong"), nothing done.
type ProblemsError struct {
	Problems []string
	// Nothing says what was not done ("recorded", "assigned").
	Nothing string
}

func (e *ProblemsError) Error() string {
	return fmt.Sprintf("%s: nothing %s", plural(len(e.Problems), "problem"), e.Nothing)
}

// Created describes a ledger just made (CreateFiles), for its maker.
type Created struct {
	ID           string `json:"id"`
	IdentityFile string `json:"identity_file"` // "" for none
	Ledger       string `json:"ledger"`        // SpecName of the spec
	Passphrase   bool   `json:"passphrase"`    // the key is wrapped in the ledger
	Recipient    string `json:"recipient"`
}

func (c *Created) String() string {
	s := fmt.Sprintf("ledger %s created\npublic key: %s\n", c.Ledger, c.Recipient)
	if c.IdentityFile != "" {
		s += fmt.Sprintf("private key: %s (keep it safe and apart from the ledger)\n", c.IdentityFile)
	}
	if c.Passphrase {
		s += "private key also wrapped in the ledger under the passphrase\n"
	}
	return s
}

// Histories are the histories of several serials.
type Histories []*TokenHistory

// MissingError names the serials a ledger never held; it is ErrNotFound.
type MissingError struct{ Serials []string }

func (e *MissingError) Error() string { return "not in the ledger: " + strings.Join(e.Serials, ", ") }
func (e *MissingError) Unwrap() error { return ErrNotFound }

// Histories returns the history of each serial the ledger holds, in the
// order given (an empty list, not nil, for none), and a *MissingError
// naming the others.
func (l *Ledger) Histories(ctx context.Context, serials []string) (Histories, error) {
	all := Histories{}
	var missing []string
	for _, s := range serials {
		h, err := l.TokenHistory(ctx, s)
		switch {
		case errors.Is(err, ErrNotFound):
			missing = append(missing, s)
		case err != nil:
			return nil, err
		default:
			all = append(all, h)
		}
	}
	if len(missing) > 0 {
		return all, &MissingError{missing}
	}
	return all, nil
}

// String is each history's Describe, a blank line between two.
func (hs Histories) String() string {
	var b strings.Builder
	for i, h := range hs {
		if i > 0 {
			b.WriteString("\n")
		}
		h.Describe(&b)
	}
	return b.String()
}

// String is one line per station (its name, total and counts by state),
// then one per stale record.
func (st *Status) String() string {
	var b strings.Builder
	for _, s := range st.Stations {
		var states []string
		for k, n := range s.States {
			states = append(states, fmt.Sprintf("%s %d", k, n))
		}
		sort.Strings(states)
		fmt.Fprintf(&b, "%-20s %5d  %v\n", dash(s.Station), s.Total, states)
	}
	for _, r := range st.Stale {
		fmt.Fprintf(&b, "stale: %s pending since %s on %s\n", r.Serial, r.Updated.Format(time.RFC3339), dash(r.Station))
	}
	return b.String()
}

// Summary is one line saying what was copied to dst and how the copy was
// checked.
func (r CopyResult) Summary(dst string) string {
	how := "compared field by field with the source (this machine does not know the ledger's key)"
	if r.Authenticated {
		how = "every record's authentication checked"
	}
	return fmt.Sprintf("copied %d records, %d events and the metadata to %s; %s\n", r.Records, r.Events, SpecName(dst), how)
}

// VerifyReport is what VerifyAll found.
type VerifyReport struct {
	Failed int  `json:"failed"` // records failing authentication
	Head   Head `json:"head"`
	// Problems names each record that failed, and why.
	Problems []string `json:"-"`
}

func (r *VerifyReport) String() string {
	return fmt.Sprintf("%d records authentic; head #%d, digest %s\n", r.Head.Records, r.Head.MaxID, r.Head.Digest)
}

// VerifyAll is Verify collecting every record that fails: the error then
// counts them ("N of M records fail authentication").
func (l *Ledger) VerifyAll(ctx context.Context) (*VerifyReport, error) {
	rep := &VerifyReport{}
	h, err := l.Verify(ctx, func(r *Record, err error) { rep.Problems = append(rep.Problems, err.Error()) })
	rep.Head, rep.Failed = h, len(rep.Problems)
	if err != nil && rep.Failed > 0 {
		err = fmt.Errorf("%d of %d records fail authentication", rep.Failed, h.Records)
	}
	return rep, err
}

// Assignments are the assignments a user gives: the lines of the file
// name (ReadAssignments; "-": stdin) or, with name "", the serial and user
// in args (trimmed, Where "argument").
func Assignments(name string, stdin io.Reader, args ...string) ([]Assignment, error) {
	switch {
	case name != "" && len(args) != 0:
		return nil, &usageError{"give SERIAL USER or --file, not both"}
	case name == "" && len(args) == 2:
		return []Assignment{{Serial: strings.TrimSpace(args[0]), User: strings.TrimSpace(args[1]), Where: "argument"}}, nil
	case name == "":
		return nil, &usageError{"want SERIAL USER (or --file FILE)"}
	case name == "-":
		return ReadAssignments(stdin, "<stdin>")
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ReadAssignments(f, name)
}

// Assigned is one assignment made.
type Assigned struct {
	Serial string `json:"serial"`
	User   string `json:"user"`
	Record int64  `json:"record"`
}

// AssignChecked checks every assignment (CheckAssignments) and then makes
// them all (AssignAll), or, when any has a problem, none: the error is a
// *ProblemsError listing them.
func (l *Ledger) AssignChecked(ctx context.Context, as []Assignment, operator string) ([]Assigned, error) {
	problems, err := l.CheckAssignments(ctx, as)
	if err != nil {
		return nil, err
	}
	if len(problems) > 0 {
		return nil, &ProblemsError{Problems: problems, Nothing: "assigned"}
	}
	recs, err := l.AssignAll(ctx, as, operator)
	if err != nil {
		return nil, err
	}
	done := []Assigned{}
	for _, r := range recs {
		done = append(done, Assigned{r.Serial, r.User, r.ID})
	}
	return done, nil
}
