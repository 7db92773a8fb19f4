package ledger

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/tokenctl/tokenctl/seed"
)

// Describing records for people: what 'tokenctl ledger list' and 'show'
// print. Nothing here reads or prints secret material.

// KindDesc is the token's kind and parameters in one word, defaults
// filled in: "totp/sha1/6/30s", "hotp/sha1/8", "yubico-otp".
func (r *Record) KindDesc() string {
	switch r.Kind {
	case seed.TOTP:
		return fmt.Sprintf("totp/%s/%d/%ds", r.Hash, orDefault(r.Digits, 6), orDefault(r.Period, 30))
	case seed.HOTP:
		return fmt.Sprintf("hotp/%s/%d", r.Hash, orDefault(r.Digits, 6))
	}
	return r.Kind.String()
}

func orDefault(n, def int) int {
	if n == 0 {
		return def
	}
	return n
}

// dash is s, or "-" for nothing.
func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// stamp is t in local time to the second, or "-" for never.
func stamp(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Local().Format("2006-01-02 15:04:05")
}

// Describe writes r as one field per line: serial, family, token, state,
// batch, operator, user, source, times.
func (r *Record) Describe(w io.Writer) error {
	ew := &errWriter{w: w}
	ew.printf("serial:      %s (record #%d)\n", r.Serial, r.ID)
	ew.printf("family:      %s %s\n", r.Family, r.Model)
	ew.printf("token:       %s", r.KindDesc())
	if r.Kind == seed.HOTP {
		ew.printf(", counter %d", r.Counter)
	}
	if r.Slot != 0 {
		ew.printf(", slot %d", r.Slot)
	}
	ew.printf("\nstate:       %s", r.State)
	if r.Error != "" {
		ew.printf(" (%s)", r.Error)
	}
	if r.Owner != "" && r.State == Pending {
		ew.printf(", held by %s until %s", r.Owner, stamp(r.LeaseUntil))
	}
	ew.printf("\nbatch:       %s\n", dash(r.Batch))
	ew.printf("operator:    %s\n", dash(r.Operator))
	ew.printf("user:        %s\n", dash(r.User))
	if r.Source != "" {
		ew.printf("imported:    from %s\n", r.Source)
	}
	ew.printf("created:     %s\n", stamp(r.Created))
	ew.printf("programmed:  %s\n", stamp(r.Programmed))
	ew.printf("verified:    %s\n", stamp(r.Verified))
	if r.Replaces != 0 {
		ew.printf("replaces:    record #%d\n", r.Replaces)
	}
	return ew.err
}

// Records returns the records matching f without their sealed secrets
// (for display: Describe, Table, JSON), in List's order.
func (l *Ledger) Records(ctx context.Context, f Filter) ([]*Record, error) {
	recs := []*Record{}
	err := l.s.List(ctx, f, func(r *Record) error {
		r.Sealed = nil
		recs = append(recs, r)
		return nil
	})
	return recs, err
}

// TokenHistory is everything the ledger knows of one serial but its
// secrets: its records, oldest first (the last is the current one), and
// what happened to them.
type TokenHistory struct {
	Serial  string    `json:"serial"`
	Records []*Record `json:"records"`
	Events  []Event   `json:"events"`
}

// TokenHistory returns serial's records and events, sealed secrets left
// out; ErrNotFound when the ledger never held serial.
func (l *Ledger) TokenHistory(ctx context.Context, serial string) (*TokenHistory, error) {
	recs, err := l.s.History(ctx, serial)
	if err != nil {
		return nil, err
	}
	if len(recs) == 0 {
		return nil, ErrNotFound
	}
	evs, err := l.s.Events(ctx, serial)
	if err != nil {
		return nil, err
	}
	for _, r := range recs {
		r.Sealed = nil
	}
	return &TokenHistory{Serial: serial, Records: recs, Events: evs}, nil
}

// Describe writes the current record (Record.Describe), one line per
// earlier record, and the history, one event a line.
func (h *TokenHistory) Describe(w io.Writer) error {
	if len(h.Records) == 0 {
		return nil
	}
	last := h.Records[len(h.Records)-1]
	if err := last.Describe(w); err != nil {
		return err
	}
	ew := &errWriter{w: w}
	if len(h.Records) > 1 {
		ew.printf("  earlier records:\n")
		for _, r := range h.Records[:len(h.Records)-1] {
			ew.printf("    #%d %s, batch %s, created %s, replaced by #%d\n", r.ID, r.State, dash(r.Batch), stamp(r.Created), r.ReplacedBy)
		}
	}
	ew.printf("  history:\n")
	for _, e := range h.Events {
		ew.printf("    %s  #%d %s", stamp(e.At), e.RecordID, e.What)
		if e.Operator != "" {
			ew.printf(" by %s", e.Operator)
		}
		if e.Detail != "" {
			ew.printf(": %s", e.Detail)
		}
		ew.printf("\n")
	}
	return ew.err
}

// Table writes records as aligned columns, one line each: serial,
// family, model, kind, state, batch, user, last update.
type Table struct {
	tw *tabwriter.Writer
	// Len is how many records were added.
	Len int
}

// NewTable starts a table on w with its header line.
func NewTable(w io.Writer) *Table {
	t := &Table{tw: tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)}
	fmt.Fprintln(t.tw, "SERIAL\tFAMILY\tMODEL\tKIND\tSTATE\tBATCH\tUSER\tUPDATED")
	return t
}

// Add adds r's line (its fit with List's callback).
func (t *Table) Add(r *Record) error {
	t.Len++
	state := string(r.State)
	if !r.Current() {
		state += fmt.Sprintf(" (replaced by #%d)", r.ReplacedBy)
	}
	_, err := fmt.Fprintf(t.tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Serial, r.Family, dash(r.Model), r.KindDesc(),
		state, dash(r.Batch), dash(r.User), r.Updated.Local().Format("2006-01-02 15:04:05"))
	return err
}

// Flush writes the table out.
func (t *Table) Flush() error { return t.tw.Flush() }

// errWriter keeps the first write error.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) printf(format string, a ...any) {
	if e.err == nil {
		_, e.err = fmt.Fprintf(e.w, format, a...)
	}
}

// WriteTable writes the records f selects to w as a Table (nothing on an
// error) and returns how many there were.
func (l *Ledger) WriteTable(ctx context.Context, f Filter, w io.Writer) (int, error) {
	t := NewTable(w)
	if err := l.List(ctx, f, t.Add); err != nil {
		return 0, err
	}
	return t.Len, t.Flush()
}
