package pgstore_test

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/tokenctl/tokenctl/internal/pgtest"
	"github.com/tokenctl/tokenctl/ledger"
	"github.com/tokenctl/tokenctl/ledger/pgstore"
	"github.com/tokenctl/tokenctl/seed"
)

type sliceReader struct {
	toks []*seed.Token
	i    int
}

func (r *sliceReader) Read() (*seed.Token, int, error) {
	if r.i >= len(r.toks) {
		return nil, 0, io.EOF
	}
	r.i++
	return r.toks[r.i-1], r.i, nil
}

// populate gives l records in every state, a replaced one, imported ones
// and a YubiKey with private ID and access code.
func populate(t *testing.T, l *ledger.Ledger) {
	t.Helper()
	must := func(_ *ledger.Record, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	a, err := l.Reserve(ctx, totp("A1"), ledger.Entry{Family: ledger.Token2, Batch: "box-1", Operator: "alice"})
	must(a, err)
	a, err = l.MarkProgrammed(ctx, a, "alice")
	must(a, err)
	must(l.MarkVerified(ctx, a, "alice"))
	must(l.Assign(ctx, "A1", "bob@example.com", "alice"))
	b, err := l.Reserve(ctx, totp("B1"), ledger.Entry{Family: ledger.Token2})
	must(b, err)
	must(l.MarkFailed(ctx, b, "alice", "write refused (6982)"))
	must(l.Reserve(ctx, totp("C1"), ledger.Entry{Family: ledger.Token2}))
	d, err := l.Reserve(ctx, totp("D1"), ledger.Entry{Family: ledger.Token2})
	must(d, err)
	must(l.MarkProgrammed(ctx, d, ""))
	must(l.Reserve(ctx, totp("D1"), ledger.Entry{Family: ledger.Token2, Reprogram: true}))
	yk := &seed.Token{Serial: "YK1", Kind: seed.YubicoOTP, Secret: []byte("0123456789abcdef"),
		PrivateID: []byte{1, 2, 3, 4, 5, 6}, PublicID: []byte{0xff, 1, 2, 3, 4, 5}, Manufacturer: "Yubico"}
	yk.SetLabel(ledger.LabelAccessCode, "a1b2c3d4e5f6")
	yk.SetLabel("desk", "4")
	toks := []*seed.Token{yk, totp("I1"), totp("I2")}
	if _, errs := l.Import(ctx, []ledger.Source{{Name: "factory.csv", R: &sliceReader{toks: toks}}}, ledger.Entry{Operator: "carol"}); errs != nil {
		t.Fatal(errs)
	}
}

// snapshot is everything a ledger holds, secrets opened: metadata, every
// record (history included) as stored, its token as exported, and its
// events.
func snapshot(t *testing.T, spec string, idf []byte) string {
	t.Helper()
	l := openLedger(t, spec, idf)
	var b strings.Builder
	meta, err := l.Store().Meta(ctx)
	if err != nil {
		t.Fatal(err)
	}
	keys := make([]string, 0, len(meta))
	for k := range meta {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, "meta %s=%s\n", k, meta[k])
	}
	serials := map[string]bool{}
	if err := l.Export(ctx, ledger.Filter{History: true}, func(r *ledger.Record, tok *seed.Token) error {
		serials[r.Serial] = true
		fmt.Fprintf(&b, "record %s\ntoken %s %x %x %x %v\n", ledger.RecordDigest(r), tok.Serial, tok.Secret, tok.PrivateID, tok.PublicID, tok.Labels)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	list := make([]string, 0, len(serials))
	for s := range serials {
		list = append(list, s)
	}
	sort.Strings(list)
	for _, s := range list {
		ev, err := l.Events(ctx, s)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range ev {
			fmt.Fprintf(&b, "event %d %d %s %d %s %s %s\n", e.ID, e.RecordID, e.Serial, e.At.UnixNano(), e.What, e.Operator, e.Detail)
		}
	}
	return b.String()
}

func copyStores(t *testing.T, from, to string) ledger.CopyResult {
	t.Helper()
	src, err := ledger.OpenStore(ctx, from, false)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst, err := ledger.OpenStore(ctx, to, true)
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	res, err := ledger.CopyLedger(ctx, src, dst)
	if err != nil {
		t.Fatalf("copy: %v", err)
	}
	return res
}

// TestCopyRoundTrip: SQLite -> PostgreSQL -> SQLite keeps every record,
// MAC, sealed secret, link and event: the three ledgers read back (and
// export) identically, each copy is verified with the key, and each goes
// on taking records after the copied IDs.
func TestCopyRoundTrip(t *testing.T) {
	dir := t.TempDir()
	orig := filepath.Join(dir, "orig.ledger")
	l, idf, err := ledger.CreateFile(ctx, orig, ledger.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	populate(t, l)
	l.Close()
	pg := pgtest.Database(t)
	back := filepath.Join(dir, "back.ledger")
	res := copyStores(t, orig, pg)
	if !res.Authenticated || res.Records != 8 || res.Events == 0 {
		t.Fatalf("SQLite -> PostgreSQL: %+v, want 8 records, authenticated", res)
	}
	if res, err := ledger.CopySpec(ctx, pg, back); err != nil || !res.Authenticated || res.Records != 8 {
		t.Fatalf("PostgreSQL -> SQLite: %+v %v", res, err)
	}
	rawColumnsEqual(t, orig, pg)
	want := snapshot(t, orig, idf)
	if !strings.Contains(want, "replaced by record") || !strings.Contains(want, "a1b2c3d4e5f6") {
		t.Fatalf("the original lacks what the test needs:\n%s", want)
	}
	for _, spec := range []string{pg, back} {
		if got := snapshot(t, spec, idf); got != want {
			t.Errorf("%s differs from the original:\n%s\nwant\n%s", ledger.SpecScheme(spec), got, want)
		}
	}
	for _, spec := range []string{pg, back} {
		l := openLedger(t, spec, nil)
		if _, err := l.Verify(ctx, nil); err != nil {
			t.Fatalf("%s: %v", ledger.SpecScheme(spec), err)
		}
		r, err := l.Reserve(ctx, totp("NEW"), ledger.Entry{Family: ledger.Token2})
		if err != nil || r.ID != 9 {
			t.Fatalf("%s: a new record after the copy: %v %v, want ID 9", ledger.SpecScheme(spec), r, err)
		}
	}
}

// TestCopyRefuses: a copy into a store that holds a ledger is refused, and
// a source record changed by a writer without the key fails the copy's
// verification.
func TestCopyRefuses(t *testing.T) {
	_, pg, _ := newLedger(t)
	path := filepath.Join(t.TempDir(), "orig.ledger")
	l, _, err := ledger.CreateFile(ctx, path, ledger.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	populate(t, l)
	src := l.Store()
	dst, err := ledger.OpenStore(ctx, pg, false)
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	if err := ledger.Copy(ctx, src, dst); !errors.Is(err, ledger.ErrInitialized) {
		t.Fatalf("copy over a ledger: %v", err)
	}
	if _, err := src.(*ledger.SQLite).DB().Exec(`UPDATE tokens SET assigned_user = 'mallory' WHERE serial = 'I1'`); err != nil {
		t.Fatal(err)
	}
	dst2, err := ledger.OpenStore(ctx, pgtest.Database(t), true)
	if err != nil {
		t.Fatal(err)
	}
	defer dst2.Close()
	if err := ledger.Copy(ctx, src, dst2); !errors.Is(err, ledger.ErrUnauthenticated) || !strings.Contains(err.Error(), "I1") {
		t.Fatalf("copy of a tampered ledger: %v", err)
	}
	if _, err := dst2.Meta(ctx); !errors.Is(err, ledger.ErrNotLedger) {
		t.Fatalf("a refused copy wrote the destination: %v", err)
	}
	// CopySpec leaves no half-made file behind.
	out := filepath.Join(t.TempDir(), "out.ledger")
	if _, err := ledger.CopySpec(ctx, path, out); !errors.Is(err, ledger.ErrUnauthenticated) {
		t.Fatalf("CopySpec of a tampered ledger: %v", err)
	}
	if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a failed copy left %s: %v", out, err)
	}
	l.Close()
}

func withUser(dsn, user string) string {
	return strings.Replace(dsn, "user=postgres", "user="+user, 1)
}

// TestRoles: with the grants of GrantStatements a station role records and
// programs tokens but cannot delete records, rewrite a sealed secret or
// the metadata; what it can change (a record's plain columns) fails
// Verify; the operator role exports and cannot write.
func TestRoles(t *testing.T) {
	l, dsn, idf := newLedger(t)
	if _, err := l.Reserve(ctx, totp("R1"), ledger.Entry{Family: ledger.Token2}); err != nil {
		t.Fatal(err)
	}
	db := dsn[strings.Index(dsn, "dbname=")+len("dbname="):]
	db = strings.Fields(db)[0]
	station, operator := "station_"+db, "operator_"+db
	for _, r := range []string{station, operator} {
		if err := pgtest.Exec(ctx, dsn, "CREATE ROLE "+r+" LOGIN"); err != nil {
			t.Fatal(err)
		}
	}
	s := l.Store().(*pgstore.Store)
	if err := s.Grant(ctx, station, operator); err != nil {
		t.Fatal(err)
	}
	st := openLedger(t, withUser(dsn, station), nil)
	r, err := st.Reserve(ctx, totp("R2"), ledger.Entry{Family: ledger.Token2, Operator: "station"})
	if err != nil {
		t.Fatalf("station reserve: %v", err)
	}
	if _, err := st.MarkProgrammed(ctx, r, "station"); err != nil {
		t.Fatalf("station mark programmed: %v", err)
	}
	if _, err := st.Reserve(ctx, totp("R2"), ledger.Entry{Family: ledger.Token2, Reprogram: true}); err != nil {
		t.Fatalf("station reprogram: %v", err)
	}
	denied := func(spec, q string) {
		t.Helper()
		err := pgtest.Exec(ctx, spec, q)
		var pe *pgconn.PgError
		if !errors.As(err, &pe) || pe.Code != "42501" {
			t.Errorf("%q: %v, want permission denied", q, err)
		}
	}
	stationDSN, operatorDSN := withUser(dsn, station), withUser(dsn, operator)
	denied(stationDSN, `DELETE FROM tokens`)
	denied(stationDSN, `DELETE FROM events`)
	denied(stationDSN, `UPDATE tokens SET secret = '\x00'`)
	denied(stationDSN, `UPDATE tokens SET serial = 'X'`)
	denied(stationDSN, `UPDATE meta SET value = 'age1attacker' WHERE key = 'recipient'`)
	denied(stationDSN, `UPDATE events SET detail = ''`)
	denied(stationDSN, `UPDATE schema_version SET version = 99`)
	denied(stationDSN, `DROP TABLE tokens`)
	denied(operatorDSN, `UPDATE tokens SET assigned_user = 'x'`)
	denied(operatorDSN, `INSERT INTO meta VALUES ('a', 'b')`)

	op := openLedger(t, operatorDSN, idf)
	n := 0
	if err := op.Export(ctx, ledger.Filter{}, func(*ledger.Record, *seed.Token) error { n++; return nil }); err != nil || n != 2 {
		t.Fatalf("operator export: %d tokens, %v", n, err)
	}
	// What the station can change without the key is caught.
	if err := pgtest.Exec(ctx, stationDSN, `UPDATE tokens SET assigned_user = 'mallory' WHERE serial = 'R1'`); err != nil {
		t.Fatal(err)
	}
	var bad []string
	if _, err := op.Verify(ctx, func(r *ledger.Record, err error) { bad = append(bad, r.Serial) }); !errors.Is(err, ledger.ErrUnauthenticated) || fmt.Sprint(bad) != "[R1]" {
		t.Fatalf("Verify after a keyless change: %v %v", bad, err)
	}
}

// rawColumnsEqual: the columns as stored (the JSON with the MAC, the
// ciphertext, the times) are byte for byte the same in both stores.
func rawColumnsEqual(t *testing.T, sqlitePath, dsn string) {
	t.Helper()
	const q = `SELECT id, serial, params, secret, created_at, updated_at, coalesce(lease_until, 0), coalesce(replaced_by, 0) FROM tokens ORDER BY id`
	lite, err := ledger.OpenSQLite(sqlitePath, false)
	if err != nil {
		t.Fatal(err)
	}
	defer lite.Close()
	rows, err := lite.DB().Query(q)
	if err != nil {
		t.Fatal(err)
	}
	var a []string
	for rows.Next() {
		var id, c, u, l, rb int64
		var serial, params string
		var secret []byte
		if err := rows.Scan(&id, &serial, &params, &secret, &c, &u, &l, &rb); err != nil {
			t.Fatal(err)
		}
		a = append(a, fmt.Sprintf("%d %s %s %x %d %d %d %d", id, serial, params, secret, c, u, l, rb))
	}
	rows.Close()
	s := open(t, dsn)
	defer s.Close()
	prow, err := s.Pool().Query(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	var b []string
	for prow.Next() {
		var id, c, u, l, rb int64
		var serial, params string
		var secret []byte
		if err := prow.Scan(&id, &serial, &params, &secret, &c, &u, &l, &rb); err != nil {
			t.Fatal(err)
		}
		b = append(b, fmt.Sprintf("%d %s %s %x %d %d %d %d", id, serial, params, secret, c, u, l, rb))
	}
	prow.Close()
	if len(a) == 0 || strings.Join(a, "\n") != strings.Join(b, "\n") {
		t.Fatalf("stored columns differ:\nSQLite\n%s\nPostgreSQL\n%s", strings.Join(a, "\n"), strings.Join(b, "\n"))
	}
	if !strings.Contains(strings.Join(b, ""), `"auth":"`) {
		t.Fatal("no MAC in the stored parameters")
	}
}
