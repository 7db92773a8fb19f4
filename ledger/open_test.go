package ledger

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

func TestSpecScheme(t *testing.T) {
	for spec, want := range map[string]string{
		"postgres://u@db.example.com/tokens?sslmode=verify-full": "postgres",
		"PostgreSQL://db/tokens":                                 "postgres",
		"host=db.example.com dbname=tokens sslmode=verify-full":  "postgres",
		" dbname=tokens":              "postgres",
		"service=tokens":              "postgres",
		"tokens.ledger":               "sqlite",
		"/srv/ledger/postgres.ledger": "sqlite",
		"./host=odd-file-name":        "sqlite",
		`C:\ledgers\tokens.ledger`:    "sqlite",
	} {
		if got := SpecScheme(spec); got != want {
			t.Errorf("SpecScheme(%q) = %s, want %s", spec, got, want)
		}
	}
}

// TestOpenStoreWithoutBackend: this package alone cannot open a database
// (the PostgreSQL store registers itself from its own package), and says
// so without repeating the spec.
func TestOpenStoreWithoutBackend(t *testing.T) {
	if _, err := OpenStore(ctx, "postgres://u:pw-secret@db/tokens", false); err == nil || strings.Contains(err.Error(), "pw-secret") ||
		!strings.Contains(err.Error(), "postgres") {
		t.Fatalf("OpenStore without a postgres backend: %v", err)
	}
	path := filepath.Join(t.TempDir(), "x.ledger")
	l, _, err := CreateSpec(ctx, path, CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	l.Close()
	l, err = OpenSpec(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	l.Close()
}

// TestCopySQLite: a SQLite ledger copied to another file reads back the
// same (records, links, MACs, events, metadata), is verified with the key,
// and a store that cannot take a copy, or holds a ledger, is refused.
func TestCopySQLite(t *testing.T) {
	l, _, idf := newLedger(t, CreateOptions{})
	r, err := l.Reserve(ctx, totp("C1"), Entry{Family: Token2})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.MarkProgrammed(ctx, r, "op"); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Reserve(ctx, totp("C1"), Entry{Family: Token2, Reprogram: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Reserve(ctx, totp("C2"), Entry{Family: Token2}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "copy.ledger")
	dst, err := OpenStore(ctx, path, true)
	if err != nil {
		t.Fatal(err)
	}
	res, err := CopyLedger(ctx, l.Store(), dst)
	if err != nil || res.Records != 3 || !res.Authenticated {
		t.Fatalf("copy: %+v %v", res, err)
	}
	if err := Copy(ctx, l.Store(), dst); !errors.Is(err, ErrInitialized) {
		t.Fatalf("copy over a ledger: %v", err)
	}
	dst.Close()
	c := openLedger(t, path, idf)
	a, _, _ := dump(ctx, l.Store())
	b, _, _ := dump(ctx, c.Store())
	if len(a) != 3 || len(b) != 3 {
		t.Fatalf("%d and %d records", len(a), len(b))
	}
	for i := range a {
		if RecordDigest(a[i]) != RecordDigest(b[i]) {
			t.Errorf("record #%d differs in the copy", a[i].ID)
		}
	}
	old, _ := c.Store().History(ctx, "C1")
	if len(old) != 2 || old[0].ReplacedBy != old[1].ID || old[1].Replaces != old[0].ID {
		t.Fatalf("history of the copy: %v", old)
	}
	tok, err := c.Token(old[1])
	if err != nil || tok.Serial != "C1" {
		t.Fatalf("token from the copy: %v", err)
	}
	if err := Copy(ctx, l.Store(), struct{ Store }{dst}); err == nil || !strings.Contains(err.Error(), "cannot take a copy") {
		t.Fatalf("copy into a store without Restore: %v", err)
	}
}

func TestSpecNameHidesPassword(t *testing.T) {
	for spec, want := range map[string]string{
		"tokens.ledger": "tokens.ledger",
		"postgres://station:s3cret@db.example.com/tokens?sslmode=verify-full": "postgres://station:xxxxx@db.example.com/tokens?sslmode=verify-full",
		"postgresql://db/tokens?password=s3cret&sslmode=require":              "postgresql://db/tokens?password=xxxxx&sslmode=require",
		"host=db dbname=tokens password=s3cret":                               "host=db dbname=tokens password=xxxxx",
	} {
		if got := SpecName(spec); got != want || strings.Contains(got, "s3cret") {
			t.Errorf("SpecName(%q) = %q, want %q", spec, got, want)
		}
	}
}
