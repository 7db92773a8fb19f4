package ledger

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
)

// MaxUserLen bounds an assigned user name (a UPN is at most 113
// characters in Entra; e-mail addresses at most 254).
const MaxUserLen = 256

// Assignment is one token handed out: its serial and the user's name.
type Assignment struct {
	Serial, User string
	// Where names the assignment in messages: "file:line", "argument".
	Where string
}

// maxAssignLine bounds a "serial,user" line: a serial is at most 128
// characters and a user name is short, so a longer line is a wrong file
// (or a quote left open), refused with its line number rather than read
// to the end of the input as one field.
const maxAssignLine = 4096

// ReadAssignments reads "serial,user" lines from r; name names it in
// messages. A first line starting "serial" is a header; blank lines and
// lines starting with # are skipped. A line that is not two fields, or
// longer than 4096 bytes, is an error naming its line (every bad line is
// named); so is an input with no assignment at all.
func ReadAssignments(r io.Reader, name string) ([]Assignment, error) {
	cr := csv.NewReader(&lineBound{r: r, max: maxAssignLine})
	cr.FieldsPerRecord = -1
	cr.Comment = '#'
	cr.TrimLeadingSpace = true
	var out []Assignment
	var problems []string
	for first := true; ; first = false {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		line, _ := cr.FieldPos(0)
		where := fmt.Sprintf("%s:%d", name, line)
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, fmt.Errorf("%s:%d: columns: %v", name, pe.Line, pe.Err)
			}
			return nil, fmt.Errorf("%s: %w", name, err)
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
		out = append(out, Assignment{Serial: strings.TrimSpace(rec[0]), User: strings.TrimSpace(rec[1]), Where: where})
	}
	if len(problems) > 0 {
		return nil, errors.New(strings.Join(problems, "\n"))
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no serial,user lines", name)
	}
	return out, nil
}

// CheckUser says why u cannot be an assigned user name: empty, longer
// than MaxUserLen, or holding a control character.
func CheckUser(u string) error {
	switch {
	case u == "":
		return errors.New("empty")
	case len(u) > MaxUserLen:
		return fmt.Errorf("%d characters, at most %d", len(u), MaxUserLen)
	}
	for _, r := range u {
		if r < 0x20 || r == 0x7f {
			return errors.New("contains a control character")
		}
	}
	return nil
}

// CheckAssignments checks every assignment before any is made: the
// ledger takes records here (CanWrite), each serial is well formed, given
// once and in the ledger, each user name passes CheckUser. It returns
// one "where: field: what is wrong" line per problem; err is for a
// ledger that cannot be read or written.
func (l *Ledger) CheckAssignments(ctx context.Context, as []Assignment) (problems []string, err error) {
	if err := l.canWrite(); err != nil {
		return nil, err
	}
	seen := map[string]string{}
	for _, a := range as {
		if first, ok := seen[a.Serial]; ok {
			problems = append(problems, fmt.Sprintf("%s: serial: %s given twice (first at %s)", a.Where, a.Serial, first))
			continue
		}
		seen[a.Serial] = a.Where
		if err := CheckUser(a.User); err != nil {
			problems = append(problems, fmt.Sprintf("%s: user: %v", a.Where, err))
		}
		if err := CheckSerial(a.Serial); err != nil {
			problems = append(problems, fmt.Sprintf("%s: serial: %v", a.Where, err))
			continue
		}
		switch _, err := l.s.Current(ctx, a.Serial); {
		case errors.Is(err, ErrNotFound):
			problems = append(problems, fmt.Sprintf("%s: serial: %s is not in the ledger", a.Where, a.Serial))
		case err != nil:
			return nil, err
		}
	}
	return problems, nil
}

// AssignAll makes each assignment (Assign), in order, and returns the
// records as they now stand. Check them first (CheckAssignments): an
// error stops it, saying how many were made.
func (l *Ledger) AssignAll(ctx context.Context, as []Assignment, operator string) ([]*Record, error) {
	done := make([]*Record, 0, len(as))
	for _, a := range as {
		r, err := l.Assign(ctx, a.Serial, a.User, operator)
		if err != nil {
			return done, fmt.Errorf("assigning %s (%d of %d done): %w", a.Serial, len(done), len(as), err)
		}
		done = append(done, r)
	}
	return done, nil
}

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
