package ledger

import (
	"errors"
	"testing"
	"time"
)

// TestStations: records carry the station that made or resumed them, the
// station is authenticated like the rest, List filters by it and Status
// counts per station and lists stale pending records.
func TestStations(t *testing.T) {
	l, path, idf := newLedger(t, CreateOptions{})
	if l.Station == "" {
		t.Fatal("no default station name")
	}
	l.Station = "desk-1"
	a, err := l.Reserve(ctx, totp("S1"), Entry{Family: Token2})
	if err != nil || a.Station != "desk-1" {
		t.Fatalf("reserve: %v %v", a, err)
	}
	if _, err := l.MarkProgrammed(ctx, a, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Reserve(ctx, totp("S2"), Entry{Family: Token2}); err != nil {
		t.Fatal(err)
	}
	// Another station takes over S2 (the first one gone).
	l2 := openLedger(t, path, idf)
	l2.Station = "desk-2"
	releaseOwner(l.owner)
	r, tok, err := l2.PendingFor(ctx, "S2", "")
	if err != nil || r.Station != "desk-2" {
		t.Fatalf("resume: %v %v", r, err)
	}
	tok.Wipe()
	if _, err := l2.Reserve(ctx, totp("S3"), Entry{Family: Token2}); err != nil {
		t.Fatal(err)
	}
	n := 0
	if err := l.List(ctx, Filter{Station: "desk-2"}, func(*Record) error { n++; return nil }); err != nil || n != 2 {
		t.Fatalf("List(desk-2): %d, %v", n, err)
	}
	l2.Now = func() time.Time { return time.Now().Add(time.Hour) }
	st, err := l2.Status(ctx, 30*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Stations) != 2 || st.Stations[0].Station != "desk-1" || st.Stations[0].States[Programmed] != 1 ||
		st.Stations[1].States[Pending] != 2 || st.Stations[1].Total != 2 || len(st.Stale) != 2 {
		t.Fatalf("status: %+v", st)
	}
	if st, _ := l2.Status(ctx, 2*time.Hour); len(st.Stale) != 0 {
		t.Fatalf("stale after 2h: %v", st.Stale)
	}
	// A keyless writer re-attributing a record is caught.
	if _, err := l.Store().(*SQLite).DB().Exec(`UPDATE tokens SET station = 'desk-9' WHERE serial = 'S1'`); err != nil {
		t.Fatal(err)
	}
	if _, err := l2.Verify(ctx, nil); !errors.Is(err, ErrUnauthenticated) {
		t.Fatalf("verify after a station changed: %v", err)
	}
}

// TestMigrateStationColumn: a ledger file of schema version 1 (before the
// station column) is migrated when opened, and its records still verify.
func TestMigrateStationColumn(t *testing.T) {
	l, path, idf := newLedger(t, CreateOptions{})
	l.Station = ""
	if _, err := l.Reserve(ctx, totp("M1"), Entry{Family: Token2}); err != nil {
		t.Fatal(err)
	}
	db := l.Store().(*SQLite).DB()
	for _, q := range []string{`DROP INDEX tokens_station`, `ALTER TABLE tokens DROP COLUMN station`, `UPDATE schema_version SET version = 1`} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	o := openLedger(t, path, idf)
	var v int
	o.Store().(*SQLite).DB().QueryRow(`SELECT version FROM schema_version`).Scan(&v)
	if v != SchemaVersion {
		t.Fatalf("schema version %d after open, want %d", v, SchemaVersion)
	}
	if h, err := o.Verify(ctx, nil); err != nil || h.Records != 1 {
		t.Fatalf("verify after migration: %+v %v", h, err)
	}
	r, err := o.Reserve(ctx, totp("M2"), Entry{Family: Token2})
	if err != nil || r.Station == "" {
		t.Fatalf("reserve after migration: %v %v", r, err)
	}
}
