package pgstore_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base32"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/tokenctl/tokenctl/internal/pgtest"
	"github.com/tokenctl/tokenctl/ledger"
	"github.com/tokenctl/tokenctl/ledger/pgstore"
	"github.com/tokenctl/tokenctl/ledger/storetest"
	"github.com/tokenctl/tokenctl/seed"
)

var ctx = context.Background()

func TestMain(m *testing.M) {
	if dsn := os.Getenv("PGSTORE_TEST_HELPER"); dsn != "" {
		os.Exit(helperReserve(dsn, os.Getenv("PGSTORE_TEST_SERIALS")))
	}
	if dsn := os.Getenv("PGSTORE_TEST_BURN"); dsn != "" {
		os.Exit(helperBurn(dsn, os.Getenv("PGSTORE_TEST_IDENTITY")))
	}
	// What the tests' ledgers leave on "this machine" (keys, heads) goes
	// to a folder of the run's; helper processes inherit it.
	if os.Getenv("TOKENCTL_CONFIG_DIR") == "" {
		d, err := os.MkdirTemp("", "tokenctl-config-")
		if err != nil {
			panic(err)
		}
		os.Setenv("TOKENCTL_CONFIG_DIR", d)
		code := pgtest.Main(m)
		os.RemoveAll(d)
		os.Exit(code)
	}
	os.Exit(pgtest.Main(m))
}

func open(t testing.TB, dsn string) *pgstore.Store {
	t.Helper()
	s, err := pgstore.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestContract: the PostgreSQL store meets the Store contract the SQLite
// store meets, on a real server.
func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) func() ledger.Store {
		dsn := pgtest.Database(t)
		return func() ledger.Store { return open(t, dsn) }
	})
}

func totp(serial string) *seed.Token {
	s, err := seed.Generate(20)
	if err != nil {
		panic(err)
	}
	return &seed.Token{Serial: serial, Kind: seed.TOTP, Hash: seed.SHA1, Digits: 6, Period: 30, Secret: s, Model: "C202"}
}

// newLedger creates a ledger in a fresh database, through the spec string
// the command line would give.
func newLedger(t testing.TB) (*ledger.Ledger, string, []byte) {
	t.Helper()
	dsn := pgtest.Database(t)
	l, idf, err := ledger.CreateSpec(ctx, dsn, ledger.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l, dsn, idf
}

func openLedger(t testing.TB, spec string, idf []byte) *ledger.Ledger {
	t.Helper()
	l, err := ledger.OpenSpec(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	if idf != nil {
		ids, err := age.ParseIdentities(bytes.NewReader(idf))
		if err != nil {
			t.Fatal(err)
		}
		if err := l.Unlock(ctx, ids...); err != nil {
			t.Fatal(err)
		}
	}
	return l
}

// TestOpenStoreBySpec: keyword strings and both URL schemes reach the
// registered PostgreSQL store; a path still opens SQLite.
func TestOpenStoreBySpec(t *testing.T) {
	dsn := pgtest.Database(t)
	var host, db string
	for _, f := range strings.Fields(dsn) {
		k, v, _ := strings.Cut(f, "=")
		switch k {
		case "host":
			host = v
		case "dbname":
			db = v
		}
	}
	for _, spec := range []string{
		dsn,
		"dbname=" + db + " host=" + host + " user=postgres",
		"postgres://postgres@/" + db + "?host=" + host + "&sslmode=disable",
		"postgresql://postgres@/" + db + "?host=" + host,
	} {
		s, err := ledger.OpenStore(ctx, spec, false)
		if err != nil {
			t.Fatalf("OpenStore(%q): %v", spec, err)
		}
		if _, ok := s.(*pgstore.Store); !ok {
			t.Errorf("OpenStore(%q) = %T, want *pgstore.Store", spec, s)
		}
		s.Close()
	}
	path := filepath.Join(t.TempDir(), "x.ledger")
	s, err := ledger.OpenStore(ctx, path, true)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := s.(*ledger.SQLite); !ok {
		t.Errorf("OpenStore(path) = %T, want *ledger.SQLite", s)
	}
	s.Close()
	// A password in a spec that cannot be used is not repeated.
	_, err = ledger.OpenStore(ctx, "postgres://u:hunter2secret@/nodb?host="+host+"&sslmode=bogus", false)
	if err == nil || strings.Contains(err.Error(), "hunter2secret") {
		t.Fatalf("bad spec: %v", err)
	}
}

// TestSchemaVersions: Migrate makes the schema (and is idempotent), a
// migrated database without Init is no ledger, and a schema newer than
// this code is refused by Meta, Migrate, Init and OpenSpec.
func TestSchemaVersions(t *testing.T) {
	dsn := pgtest.Database(t)
	s := open(t, dsn)
	defer s.Close()
	if v, err := s.Version(ctx); err != nil || v != 0 {
		t.Fatalf("empty database: version %d %v", v, err)
	}
	for range 2 {
		if err := s.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if v, err := s.Version(ctx); err != nil || v != pgstore.SchemaVersion {
		t.Fatalf("after Migrate: version %d %v", v, err)
	}
	if _, err := s.Meta(ctx); !errors.Is(err, ledger.ErrNotLedger) {
		t.Fatalf("Meta of a migrated, uninitialised database: %v", err)
	}
	l, _, err := ledger.Create(ctx, s, ledger.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	_ = l
	if err := pgtest.Exec(ctx, dsn, fmt.Sprintf("UPDATE schema_version SET version = %d", pgstore.SchemaVersion+1)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Meta(ctx); !errors.Is(err, pgstore.ErrSchemaTooNew) {
		t.Fatalf("Meta of a newer schema: %v", err)
	}
	if err := s.Migrate(ctx); !errors.Is(err, pgstore.ErrSchemaTooNew) {
		t.Fatalf("Migrate of a newer schema: %v", err)
	}
	if _, err := ledger.OpenSpec(ctx, dsn); !errors.Is(err, pgstore.ErrSchemaTooNew) || !strings.Contains(err.Error(), "upgrade tokenctl") {
		t.Fatalf("OpenSpec of a newer schema: %v", err)
	}
	if err := s.Init(ctx, map[string]string{"x": "y"}); !errors.Is(err, pgstore.ErrSchemaTooNew) {
		t.Fatalf("Init over a newer schema: %v", err)
	}
}

// TestConcurrentInitOneWinner: two stations running init on one empty
// database: one ledger, the other is told it exists.
func TestConcurrentInitOneWinner(t *testing.T) {
	dsn := pgtest.Database(t)
	errs := make([]error, 4)
	var wg sync.WaitGroup
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l, _, err := ledger.CreateSpec(ctx, dsn, ledger.CreateOptions{})
			if err == nil {
				l.Close()
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	won := 0
	for _, err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, ledger.ErrInitialized):
			t.Fatalf("concurrent init: %v", err)
		}
	}
	if won != 1 {
		t.Fatalf("%d inits succeeded, want 1", won)
	}
}

// reserveAll reserves and programs serials in a random order and returns
// those it won; serials another station holds are skipped.
func reserveAll(l *ledger.Ledger, serials []string, station string) ([]string, error) {
	var won []string
	for _, i := range rand.Perm(len(serials)) {
		r, err := l.Reserve(ctx, totp(serials[i]), ledger.Entry{Family: ledger.Token2, Batch: station})
		var ee *ledger.ExistsError
		if errors.As(err, &ee) {
			continue
		}
		if err != nil {
			return won, err
		}
		if _, err := l.MarkProgrammed(ctx, r, station); err != nil {
			return won, err
		}
		won = append(won, r.Serial)
	}
	return won, nil
}

func serialRange(from, to int) []string {
	var out []string
	for i := from; i < to; i++ {
		out = append(out, fmt.Sprintf("S%04d", i))
	}
	return out
}

// checkOnce checks each serial of want has exactly one record (and none
// other is there) and that the winners' lists are disjoint.
func checkOnce(t *testing.T, dsn string, want []string, won [][]string) {
	t.Helper()
	seen := map[string]int{}
	for _, w := range won {
		for _, s := range w {
			seen[s]++
		}
	}
	for _, s := range want {
		if seen[s] != 1 {
			t.Errorf("serial %s won by %d stations", s, seen[s])
		}
	}
	if len(seen) != len(want) {
		t.Errorf("%d serials won, want %d", len(seen), len(want))
	}
	s := open(t, dsn)
	defer s.Close()
	var rows, distinct int
	if err := s.Pool().QueryRow(ctx, `SELECT count(*), count(DISTINCT serial) FROM tokens`).Scan(&rows, &distinct); err != nil {
		t.Fatal(err)
	}
	if rows != len(want) || distinct != len(want) {
		t.Fatalf("%d records of %d serials in the database, want %d of %d", rows, distinct, len(want), len(want))
	}
	n := 0
	if err := s.List(ctx, ledger.Filter{States: []ledger.State{ledger.Programmed}}, func(*ledger.Record) error { n++; return nil }); err != nil || n != len(want) {
		t.Fatalf("%d programmed records (%v), want %d", n, err, len(want))
	}
}

// TestStationsGoroutines: three stations (separate connections pools) on
// overlapping serial lists: every serial recorded exactly once, the union
// present.
func TestStationsGoroutines(t *testing.T) {
	_, dsn, _ := newLedger(t)
	lists := [][]string{serialRange(0, 60), serialRange(30, 90), serialRange(0, 90)}
	won := make([][]string, len(lists))
	errs := make([]error, len(lists))
	var wg sync.WaitGroup
	for i, list := range lists {
		l := openLedger(t, dsn, nil)
		st := l.Store().(*pgstore.Store)
		st.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
		wg.Add(1)
		go func() {
			defer wg.Done()
			won[i], errs[i] = reserveAll(l, list, fmt.Sprintf("station-%d", i))
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	checkOnce(t, dsn, serialRange(0, 90), won)
}

func helperReserve(dsn, serials string) int {
	l, err := ledger.OpenSpec(ctx, dsn)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer l.Close()
	bufio.NewReader(os.Stdin).ReadString('\n') // start together
	from, to := 0, 0
	fmt.Sscanf(serials, "%d-%d", &from, &to)
	won, err := reserveAll(l, serialRange(from, to), fmt.Sprint("pid-", os.Getpid()))
	for _, s := range won {
		fmt.Println(s)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// TestStationsProcesses: the same with real processes (this test binary
// run again as a station).
func TestStationsProcesses(t *testing.T) {
	_, dsn, _ := newLedger(t)
	ranges := []string{"0-60", "30-90", "0-90"}
	var cmds []*exec.Cmd
	var outs []*bytes.Buffer
	var gos []io.WriteCloser
	for _, rg := range ranges {
		c := exec.Command(os.Args[0], "-test.run=^$")
		c.Env = append(os.Environ(), "PGSTORE_TEST_HELPER="+dsn, "PGSTORE_TEST_SERIALS="+rg)
		var o, e bytes.Buffer
		c.Stdout, c.Stderr = &o, &e
		in, err := c.StdinPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		gos, cmds, outs = append(gos, in), append(cmds, c), append(outs, &o)
		t.Cleanup(func() {
			if e.Len() > 0 {
				t.Logf("station stderr: %s", e.String())
			}
		})
	}
	time.Sleep(300 * time.Millisecond)
	for _, in := range gos {
		in.Write([]byte("go\n"))
		in.Close()
	}
	for _, c := range cmds {
		if err := c.Wait(); err != nil {
			t.Fatalf("station process: %v", err)
		}
	}
	won := make([][]string, len(outs))
	for i, o := range outs {
		won[i] = strings.Fields(o.String())
	}
	checkOnce(t, dsn, serialRange(0, 90), won)
}

// TestDumpHoldsNoSeed: pg_dump of a ledger database holds no seed, private
// ID or access code in hex, base32 or base64.
func TestDumpHoldsNoSeed(t *testing.T) {
	l, dsn, _ := newLedger(t)
	var secrets [][]byte
	for i := range 5 {
		tok := totp(fmt.Sprintf("D%d", i))
		secrets = append(secrets, append([]byte(nil), tok.Secret...))
		if _, err := l.Reserve(ctx, tok, ledger.Entry{Family: ledger.Token2}); err != nil {
			t.Fatal(err)
		}
	}
	yk := &seed.Token{Serial: "YK1", Kind: seed.YubicoOTP, Secret: bytes.Repeat([]byte{0x5a, 0xa5}, 8),
		PrivateID: []byte{0xc1, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6}, PublicID: []byte{1, 2, 3, 4, 5, 6}}
	yk.SetLabel(ledger.LabelAccessCode, "a1b2c3d4e5f6")
	secrets = append(secrets, yk.Secret, yk.PrivateID, []byte{0xa1, 0xb2, 0xc3, 0xd4, 0xe5, 0xf6})
	if _, err := l.Reserve(ctx, yk, ledger.Entry{Family: ledger.YubiKey}); err != nil {
		t.Fatal(err)
	}
	dump := pgtest.Command(t, "pg_dump", "--data-only", "-d", dsn)
	if !bytes.Contains(dump, []byte("YK1")) || !bytes.Contains(dump, []byte("D4")) {
		t.Fatalf("the dump lacks the records:\n%.2000s", dump)
	}
	low := strings.ToLower(string(dump))
	for _, s := range secrets {
		for _, enc := range []string{
			hex.EncodeToString(s),
			strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(s)),
			base64.StdEncoding.WithPadding(base64.NoPadding).EncodeToString(s),
			base64.URLEncoding.WithPadding(base64.NoPadding).EncodeToString(s),
		} {
			needle := enc
			if !strings.HasPrefix(enc, hex.EncodeToString(s)) {
				needle = enc[:len(enc)-1] // the last character depends on what follows
			}
			if strings.Contains(low, strings.ToLower(needle)) {
				t.Errorf("the dump holds a secret (%d bytes) as %q", len(s), needle)
			}
		}
	}
}

// TestMigrateFromVersion1: a database of schema version 1 (before the
// station column) is refused until migrated ("run ledger migrate"), then
// migrated in place, its records still authentic.
func TestMigrateFromVersion1(t *testing.T) {
	l, dsn, _ := newLedger(t)
	l.Station = ""
	if _, err := l.Reserve(ctx, totp("M1"), ledger.Entry{Family: ledger.Token2}); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`DROP INDEX tokens_station`, `ALTER TABLE tokens DROP COLUMN station`, `UPDATE schema_version SET version = 1`} {
		if err := pgtest.Exec(ctx, dsn, q); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := ledger.OpenSpec(ctx, dsn); !errors.Is(err, pgstore.ErrSchemaOld) || !strings.Contains(err.Error(), "ledger migrate") {
		t.Fatalf("open of an old schema: %v", err)
	}
	s := open(t, dsn)
	defer s.Close()
	var m ledger.Migrator = s
	if err := m.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if v, err := s.Version(ctx); err != nil || v != pgstore.SchemaVersion {
		t.Fatalf("version after Migrate: %d %v", v, err)
	}
	o := openLedger(t, dsn, nil)
	if h, err := o.Verify(ctx, nil); err != nil || h.Records != 1 {
		t.Fatalf("verify after migration: %+v %v", h, err)
	}
	o.Station = "desk-7"
	if r, err := o.Reserve(ctx, totp("M2"), ledger.Entry{Family: ledger.Token2}); err != nil || r.Station != "desk-7" {
		t.Fatalf("reserve after migration: %v %v", r, err)
	}
	n := 0
	if err := o.List(ctx, ledger.Filter{Station: "desk-7"}, func(*ledger.Record) error { n++; return nil }); err != nil || n != 1 {
		t.Fatalf("List by station: %d %v", n, err)
	}
}
