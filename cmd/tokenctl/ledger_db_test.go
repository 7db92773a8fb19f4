package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tokenctl/tokenctl/internal/pgtest"
)

// TestLedgerOnPostgresCLI: a ledger made in a PostgreSQL database takes
// imports and exports like a file; 'ledger copy' file → database → file
// gives an export identical to the original's; status counts per station;
// no command prints the connection string's password.
func TestLedgerOnPostgresCLI(t *testing.T) {
	dir := t.TempDir()
	key := filepath.Join(dir, "k.age")
	file := filepath.Join(dir, "a.ledger")
	if code, _, errs := runCLI(t, "ledger", "init", "--identity-out", key, file); code != 0 {
		t.Fatal(errs)
	}
	seeds := filepath.Join(dir, "seeds.csv")
	os.WriteFile(seeds, []byte("upn,serial number,secret key,time interval,manufacturer,model\n,S1,JBSWY3DPEHPK3PXP,30,Token2,C202\n,S2,GEZDGNBVGY3TQOJQ,60,Token2,C202\n"), 0o600)
	if code, _, errs := runCLI(t, "ledger", "import", "--ledger", file, "--from", "entra", seeds); code != 0 {
		t.Fatal(errs)
	}
	export := func(spec, name string) string {
		out := filepath.Join(dir, name)
		if code, _, errs := runCLI(t, "ledger", "export", "--ledger", spec, "--identity-file", key, "--to", "entra", "-o", out); code != 0 {
			t.Fatalf("export %s: %s", name, errs)
		}
		b, _ := os.ReadFile(out)
		return string(b)
	}
	want := export(file, "a.csv")
	db := pgtest.Database(t) + " password=not-echoed"
	code, out, errs := runCLI(t, "ledger", "copy", file, db)
	if code != 0 || strings.Contains(out+errs, "not-echoed") {
		t.Fatalf("copy to the database: exit %d\n%s%s", code, out, errs)
	}
	if got := export(db, "db.csv"); got != want {
		t.Fatalf("export from the database differs:\n%s\nwant\n%s", got, want)
	}
	back := filepath.Join(dir, "b.ledger")
	if code, _, errs := runCLI(t, "ledger", "copy", db, back); code != 0 {
		t.Fatal(errs)
	}
	if got := export(back, "b.csv"); got != want {
		t.Fatalf("export after the round trip differs:\n%s", got)
	}
	code, out, errs = runCLI(t, "ledger", "status", "--ledger", db)
	if code != 0 || !strings.Contains(out, "2") || strings.Contains(out+errs, "not-echoed") {
		t.Fatalf("status: exit %d\n%s%s", code, out, errs)
	}
	if code, _, errs := runCLI(t, "ledger", "migrate", "--ledger", db); code != 0 || strings.Contains(errs, "not-echoed") {
		t.Fatalf("migrate: exit %d %s", code, errs)
	}
}
