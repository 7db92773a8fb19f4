package ledger

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/tokenctl/tokenctl/seed"
)

// rowsReader yields tokens (or errors) as a seed file reader would.
type rowsReader struct {
	rows []row
	i    int
}

type row struct {
	tok *seed.Token
	err error
}

func (r *rowsReader) Read() (*seed.Token, int, error) {
	if r.i >= len(r.rows) {
		return nil, 0, io.EOF
	}
	x := r.rows[r.i]
	r.i++
	return x.tok, r.i + 1, x.err // line 1 is a header
}

func src(name string, toks ...*seed.Token) Source {
	var rows []row
	for _, t := range toks {
		rows = append(rows, row{tok: t})
	}
	return Source{Name: name, R: &rowsReader{rows: rows}}
}

func count(t *testing.T, l *Ledger) int {
	n := 0
	if err := l.List(ctx, Filter{History: true}, func(*Record) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestImport(t *testing.T) {
	l, _, _ := newLedger(t, CreateOptions{})
	a, b, c := totp("A1"), totp("A2"), totp("B1")
	want := map[string][]byte{"A1": append([]byte(nil), a.Secret...), "A2": append([]byte(nil), b.Secret...), "B1": append([]byte(nil), c.Secret...)}
	res, errs := l.Import(ctx, []Source{src("a.csv", a, b), src("b.csv", c)}, Entry{Batch: "factory", Operator: "op"})
	if errs != nil {
		t.Fatal(errs)
	}
	if res.Imported != 3 || res.Replaced != 0 {
		t.Fatalf("%+v", res)
	}
	// The reader's tokens were wiped; the ledger holds the secrets.
	if !bytes.Equal(a.Secret, make([]byte, 20)) {
		t.Error("imported token not wiped")
	}
	err := l.Export(ctx, Filter{Batch: "factory"}, func(r *Record, tk *seed.Token) error {
		if r.Family != Imported || r.State != Programmed || r.Programmed.IsZero() || !bytes.Equal(tk.Secret, want[r.Serial]) {
			t.Errorf("%s: %+v", r.Serial, r)
		}
		if (r.Serial == "B1") != (r.Source == "b.csv") {
			t.Errorf("%s: source %q", r.Serial, r.Source)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	// A file with no tokens is a problem, not an empty import.
	if res, errs := l.Import(ctx, []Source{src("c.csv", totp("C1")), src("header-only.csv")}, Entry{}); res != nil || len(errs) != 1 ||
		errs[0].Error() != "header-only.csv: no tokens in the file" {
		t.Fatalf("import with an empty file: %+v %v", res, errs)
	}
	if _, err := l.Get(ctx, "C1"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("C1 recorded although the import was refused: %v", err)
	}

	// All or nothing: one clash, one duplicate, one bad row -> nothing recorded, every problem named.
	bad := &rowsReader{rows: []row{
		{tok: totp("N1")},
		{tok: totp("A2")}, // in the ledger
		{tok: totp("N1")}, // twice
		{err: &seed.FieldError{File: "c.csv", Line: 5, Field: "secret", Msg: "not base32"}},
		{tok: totp("N2"), err: &seed.FieldError{File: "c.csv", Line: 6, Field: "secret", Msg: "short", Warning: true}},
		{tok: &seed.Token{Serial: "N3"}},
	}}
	_, errs = l.Import(ctx, []Source{{Name: "c.csv", R: bad}}, Entry{})
	var msgs []string
	for _, e := range errs {
		msgs = append(msgs, e.Error())
	}
	got := strings.Join(msgs, "\n")
	for _, w := range []string{
		"c.csv:3: serial: A2 is already in the ledger",
		"c.csv:4: serial: N1 appears twice (also c.csv:2)",
		"c.csv:5: secret: not base32",
		"c.csv:7: secret: missing",
	} {
		if !strings.Contains(got, w) {
			t.Errorf("missing %q in:\n%s", w, got)
		}
	}
	if len(errs) != 4 {
		t.Errorf("%d problems:\n%s", len(errs), got)
	}
	if n := count(t, l); n != 3 {
		t.Fatalf("%d records after a failed import, want 3", n)
	}

	// Reprogram replaces.
	res, errs = l.Import(ctx, []Source{src("d.csv", totp("A1"))}, Entry{Reprogram: true})
	if errs != nil || res.Replaced != 1 {
		t.Fatalf("%+v %v", res, errs)
	}
	if n := count(t, l); n != 4 {
		t.Fatalf("%d records", n)
	}

	// A fatal reader error stops and records nothing.
	fatal := &rowsReader{rows: []row{{tok: totp("F1")}, {err: errors.New("disk on fire")}}}
	if _, errs := l.Import(ctx, []Source{{Name: "e.csv", R: fatal}}, Entry{}); len(errs) != 1 || !strings.Contains(errs[0].Error(), "e.csv: disk on fire") {
		t.Fatalf("%v", errs)
	}
	if _, err := l.Get(ctx, "F1"); !errors.Is(err, ErrNotFound) {
		t.Fatal("partial import")
	}
}

func TestReader(t *testing.T) {
	l, _, _ := newLedger(t, CreateOptions{})
	for _, s := range []string{"R1", "R2", "R3"} {
		r, err := l.Reserve(ctx, totp(s), Entry{Family: Token2, Batch: "x"})
		if err != nil {
			t.Fatal(err)
		}
		if s != "R2" {
			l.MarkProgrammed(ctx, r, "")
		}
	}
	rd, recs, err := l.Reader(ctx, Filter{States: []State{Programmed, Verified}})
	if err != nil || len(recs) != 2 {
		t.Fatal(recs, err)
	}
	var serials []string
	for {
		tk, line, err := rd.Read()
		if err == io.EOF {
			break
		}
		if err != nil || len(tk.Secret) != 20 || line == 0 {
			t.Fatal(err)
		}
		serials = append(serials, tk.Serial)
	}
	if strings.Join(serials, ",") != "R1,R3" {
		t.Fatal(serials)
	}
}
