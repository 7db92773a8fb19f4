package ledger

import (
	"context"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/tokenctl/tokenctl/internal/fsutil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/tokenctl/tokenctl/seed"

	_ "modernc.org/sqlite" // database/sql driver "sqlite"
)

// SchemaVersion is the version of the SQLite schema this code writes.
const SchemaVersion = 2

// BusyTimeout is how long a writer waits for another to finish.
const BusyTimeout = 15 * time.Second

// migrations[i] takes a ledger from schema version i to i+1.
var migrations = []string{
	0: `
CREATE TABLE schema_version (version INTEGER NOT NULL);
INSERT INTO schema_version (version) VALUES (1);
CREATE TABLE meta (
	key   TEXT PRIMARY KEY,
	value TEXT NOT NULL
);
CREATE TABLE tokens (
	id            INTEGER PRIMARY KEY AUTOINCREMENT,
	serial        TEXT    NOT NULL,
	live          INTEGER CHECK (live = 1), -- 1 for the serial's current record, NULL once replaced
	family        TEXT    NOT NULL,
	model         TEXT    NOT NULL DEFAULT '',
	kind          TEXT    NOT NULL,
	hash          TEXT    NOT NULL,
	digits        INTEGER NOT NULL DEFAULT 0,
	period        INTEGER NOT NULL DEFAULT 0,
	counter       INTEGER NOT NULL DEFAULT 0,
	slot          INTEGER NOT NULL DEFAULT 0,
	params        TEXT    NOT NULL DEFAULT '{}',
	state         TEXT    NOT NULL CHECK (state IN ('pending', 'programmed', 'verified', 'failed')),
	batch         TEXT    NOT NULL DEFAULT '',
	operator      TEXT    NOT NULL DEFAULT '',
	assigned_user TEXT    NOT NULL DEFAULT '',
	source        TEXT    NOT NULL DEFAULT '',
	error         TEXT    NOT NULL DEFAULT '',
	owner         TEXT    NOT NULL DEFAULT '',
	lease_until   INTEGER,
	created_at    INTEGER NOT NULL,
	programmed_at INTEGER,
	verified_at   INTEGER,
	updated_at    INTEGER NOT NULL,
	replaces      INTEGER REFERENCES tokens (id),
	replaced_by   INTEGER REFERENCES tokens (id),
	secret        BLOB    NOT NULL -- age ciphertext, see package doc
);
CREATE UNIQUE INDEX tokens_serial_live ON tokens (serial, live);
CREATE INDEX tokens_batch ON tokens (batch);
CREATE INDEX tokens_state ON tokens (state);
CREATE TABLE events (
	id       INTEGER PRIMARY KEY AUTOINCREMENT,
	token_id INTEGER NOT NULL REFERENCES tokens (id),
	serial   TEXT    NOT NULL,
	at       INTEGER NOT NULL,
	event    TEXT    NOT NULL,
	operator TEXT    NOT NULL DEFAULT '',
	detail   TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX events_serial ON events (serial);
`,
	1: `
ALTER TABLE tokens ADD COLUMN station TEXT NOT NULL DEFAULT '';
CREATE INDEX tokens_station ON tokens (station);
`,
}

// SQLite is the embedded Store: one file, WAL journal, synchronous=FULL
// (every commit is fsync'd before it returns), a busy timeout so that
// several processes can share it, and write transactions that take the
// write lock when they begin (BEGIN IMMEDIATE), so a read-check-write in
// one transaction is never interleaved with another writer's.
type SQLite struct {
	db   *sql.DB
	path string
}

var _ Store = (*SQLite)(nil)

// OpenSQLite opens the ledger file at path. With create, the file must not
// exist and is created with mode 0600 (SQLite gives its -wal and -shm
// files the same mode); without, it must exist.
func OpenSQLite(path string, create bool) (*SQLite, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	if create {
		f, err := fsutil.CreatePrivate(abs)
		if err != nil {
			if errors.Is(err, os.ErrExist) {
				return nil, fmt.Errorf("%s already exists: not overwriting it", path)
			}
			return nil, fmt.Errorf("creating ledger: %w", err)
		}
		f.Close()
	} else {
		st, err := os.Stat(abs)
		if err != nil {
			return nil, fmt.Errorf("opening ledger: %w", err)
		}
		if !st.Mode().IsRegular() {
			return nil, fmt.Errorf("%s is not a ledger file", path)
		}
	}
	q := url.Values{}
	q.Set("_busy_timeout", fmt.Sprint(BusyTimeout.Milliseconds()))
	q.Set("_journal_mode", "WAL")
	q.Set("_synchronous", "FULL")
	q.Set("_foreign_keys", "1")
	q.Set("_txlock", "immediate")
	dsn := "file:" + (&url.URL{Path: abs}).EscapedPath() + "?" + q.Encode()
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	s := &SQLite{db: db, path: path}
	var mode string
	if err := db.QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil {
		db.Close()
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	if !strings.EqualFold(mode, "wal") {
		db.Close()
		return nil, fmt.Errorf("opening %s: journal mode is %s, not WAL (file system without shared memory?)", path, mode)
	}
	return s, nil
}

// DB exposes the database handle, for tests and diagnostics.
func (s *SQLite) DB() *sql.DB { return s.db }

// Close closes the database.
func (s *SQLite) Close() error { return s.db.Close() }

func (s *SQLite) version(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}) (int, error) {
	var n int
	err := q.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'`).Scan(&n)
	if err != nil || n == 0 {
		return 0, err
	}
	var v int
	if err := q.QueryRowContext(ctx, `SELECT version FROM schema_version`).Scan(&v); err != nil {
		return 0, fmt.Errorf("reading schema version: %w", err)
	}
	return v, nil
}

// Init implements Store.
func (s *SQLite) Init(ctx context.Context, meta map[string]string) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		v, err := s.version(ctx, tx)
		if err != nil {
			return err
		}
		if v != 0 {
			return ErrInitialized
		}
		for _, m := range migrations {
			if _, err := tx.ExecContext(ctx, m); err != nil {
				return fmt.Errorf("creating schema: %w", err)
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE schema_version SET version = ?`, SchemaVersion); err != nil {
			return err
		}
		for k, v := range meta {
			if _, err := tx.ExecContext(ctx, `INSERT INTO meta (key, value) VALUES (?, ?)`, k, v); err != nil {
				return err
			}
		}
		return nil
	})
}

// migrate brings an older ledger up to SchemaVersion.
func (s *SQLite) migrate(ctx context.Context) error {
	v, err := s.version(ctx, s.db)
	if err != nil {
		return err
	}
	switch {
	case v == 0:
		return ErrNotLedger
	case v == SchemaVersion:
		return nil
	case v > SchemaVersion:
		return fmt.Errorf("ledger schema version %d is newer than this tokenctl understands (%d): upgrade tokenctl", v, SchemaVersion)
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		v, err := s.version(ctx, tx)
		if err != nil {
			return err
		}
		for ; v < SchemaVersion; v++ {
			if _, err := tx.ExecContext(ctx, migrations[v]); err != nil {
				return fmt.Errorf("migrating ledger schema to version %d: %w", v+1, err)
			}
			if _, err := tx.ExecContext(ctx, `UPDATE schema_version SET version = ?`, v+1); err != nil {
				return err
			}
		}
		return nil
	})
}

// Meta implements Store.
func (s *SQLite) Meta(ctx context.Context) (map[string]string, error) {
	if err := s.migrate(ctx); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT key, value FROM meta`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	m := map[string]string{}
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return nil, err
		}
		m[k] = v
	}
	return m, rows.Err()
}

// tx runs fn in a write transaction (BEGIN IMMEDIATE) and commits.
func (s *SQLite) tx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("ledger: starting transaction: %w", err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("ledger: commit: %w", err)
	}
	return nil
}

const recordCols = `id, serial, family, model, kind, hash, digits, period, counter, slot, params,
	state, batch, operator, assigned_user, source, error, owner, lease_until,
	created_at, programmed_at, verified_at, updated_at, replaces, replaced_by, secret, station`

type scanner interface{ Scan(...any) error }

// params is the JSON column for the non-secret parameters without a column.
type params struct {
	Manufacturer string            `json:"manufacturer,omitempty"`
	Issuer       string            `json:"issuer,omitempty"`
	PublicID     string            `json:"public_id,omitempty"`
	Labels       map[string]string `json:"labels,omitempty"`
	Auth         []byte            `json:"auth,omitempty"` // the record's MAC (base64)
}

func scanRecord(sc scanner) (*Record, error) {
	var (
		r                                         Record
		kind, hash, fam, state, pj                string
		counter                                   int64
		lease, created, programmed, verified, upd sql.NullInt64
		replaces, replacedBy                      sql.NullInt64
	)
	err := sc.Scan(&r.ID, &r.Serial, &fam, &r.Model, &kind, &hash, &r.Digits, &r.Period, &counter, &r.Slot, &pj,
		&state, &r.Batch, &r.Operator, &r.User, &r.Source, &r.Error, &r.Owner, &lease,
		&created, &programmed, &verified, &upd, &replaces, &replacedBy, &r.Sealed, &r.Station)
	if err != nil {
		return nil, err
	}
	r.Family, r.State = Family(fam), State(state)
	r.Counter = uint64(counter)
	if r.Kind, err = seed.ParseKind(kind); err != nil {
		return nil, fmt.Errorf("record #%d: %w", r.ID, err)
	}
	if r.Hash, err = seed.ParseHash(hash); err != nil {
		return nil, fmt.Errorf("record #%d: %w", r.ID, err)
	}
	var p params
	if err := json.Unmarshal([]byte(pj), &p); err != nil {
		return nil, fmt.Errorf("record #%d: parameters: %w", r.ID, err)
	}
	r.Manufacturer, r.Issuer, r.Labels, r.Auth = p.Manufacturer, p.Issuer, p.Labels, p.Auth
	if p.PublicID != "" {
		if r.PublicID, err = hex.DecodeString(p.PublicID); err != nil {
			return nil, fmt.Errorf("record #%d: public ID: %w", r.ID, err)
		}
	}
	r.LeaseUntil, r.Created, r.Programmed = fromNanos(lease), fromNanos(created), fromNanos(programmed)
	r.Verified, r.Updated = fromNanos(verified), fromNanos(upd)
	r.Replaces, r.ReplacedBy = replaces.Int64, replacedBy.Int64
	return &r, nil
}

func paramsJSON(r *Record) (string, error) {
	p := params{Manufacturer: r.Manufacturer, Issuer: r.Issuer, Labels: r.Labels, Auth: r.Auth}
	if len(r.PublicID) > 0 {
		p.PublicID = hex.EncodeToString(r.PublicID)
	}
	b, err := json.Marshal(p)
	return string(b), err
}

func nanos(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixNano()
}

func fromNanos(n sql.NullInt64) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return time.Unix(0, n.Int64).UTC()
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

func current(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, serial string) (*Record, error) {
	r, err := scanRecord(q.QueryRowContext(ctx, `SELECT `+recordCols+` FROM tokens WHERE serial = ? AND live = 1`, serial))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	return r, err
}

func logEvent(ctx context.Context, tx *sql.Tx, ev Event) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO events (token_id, serial, at, event, operator, detail) VALUES (?, ?, ?, ?, ?, ?)`,
		ev.RecordID, ev.Serial, ev.At.UnixNano(), ev.What, ev.Operator, ev.Detail)
	if err != nil {
		return fmt.Errorf("ledger: logging event: %w", err)
	}
	return nil
}

// Insert implements Store.
func (s *SQLite) Insert(ctx context.Context, recs []*Record, o InsertOptions) error {
	seen := make(map[string]bool, len(recs))
	for _, r := range recs {
		if seen[r.Serial] {
			return fmt.Errorf("serial %s given twice", r.Serial)
		}
		seen[r.Serial] = true
	}
	at := o.At
	if at.IsZero() {
		at = time.Now()
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		ins, err := tx.PrepareContext(ctx, `INSERT INTO tokens (serial, live, family, model, kind, hash, digits, period, counter, slot, params,
			state, batch, operator, assigned_user, source, error, owner, lease_until,
			created_at, programmed_at, verified_at, updated_at, replaces, secret, station)
			VALUES (?, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
		if err != nil {
			return err
		}
		defer ins.Close()
		var conflicts []*Record
		for _, r := range recs {
			old, err := current(ctx, tx, r.Serial)
			switch {
			case errors.Is(err, ErrNotFound):
				old = nil
			case err != nil:
				return err
			case !o.Replace:
				conflicts = append(conflicts, old)
				continue
			}
			if len(conflicts) > 0 {
				continue // only collecting the conflicts now
			}
			if old != nil {
				if o.MayReplace != nil {
					if err := o.MayReplace(old); err != nil {
						return err
					}
				}
				if _, err := tx.ExecContext(ctx, `UPDATE tokens SET live = NULL WHERE id = ?`, old.ID); err != nil {
					return err
				}
				r.Replaces = old.ID
			}
			pj, err := paramsJSON(r)
			if err != nil {
				return err
			}
			if r.Created.IsZero() {
				r.Created = at
			}
			r.Updated = at
			res, err := ins.ExecContext(ctx, r.Serial, string(r.Family), r.Model, r.Kind.String(), r.Hash.String(),
				r.Digits, r.Period, int64(r.Counter), r.Slot, pj,
				string(r.State), r.Batch, r.Operator, r.User, r.Source, r.Error, r.Owner, nanos(r.LeaseUntil),
				nanos(r.Created), nanos(r.Programmed), nanos(r.Verified), nanos(r.Updated), nullID(r.Replaces), r.Sealed, r.Station)
			if err != nil {
				return fmt.Errorf("ledger: recording serial %s: %w", r.Serial, err)
			}
			if r.ID, err = res.LastInsertId(); err != nil {
				return err
			}
			what := o.Event
			if what == "" {
				what = "recorded"
			}
			detail := o.Detail
			if detail == "" && r.Source != "" {
				detail = "from " + r.Source
			}
			if err := logEvent(ctx, tx, Event{RecordID: r.ID, Serial: r.Serial, At: at, What: what, Operator: o.Operator, Detail: detail}); err != nil {
				return err
			}
			if old != nil {
				if _, err := tx.ExecContext(ctx, `UPDATE tokens SET replaced_by = ?, updated_at = ? WHERE id = ?`, r.ID, at.UnixNano(), old.ID); err != nil {
					return err
				}
				detail := fmt.Sprintf("replaced by record #%d (was %s)", r.ID, old.State)
				if err := logEvent(ctx, tx, Event{RecordID: old.ID, Serial: old.Serial, At: at, What: "replaced", Operator: o.Operator, Detail: detail}); err != nil {
					return err
				}
			}
		}
		if len(conflicts) > 0 {
			return &ExistsError{Records: conflicts}
		}
		return nil
	})
}

// Update implements Store.
func (s *SQLite) Update(ctx context.Context, id int64, ev Event, mutate func(r *Record) error) (*Record, error) {
	var out *Record
	err := s.tx(ctx, func(tx *sql.Tx) error {
		r, err := scanRecord(tx.QueryRowContext(ctx, `SELECT `+recordCols+` FROM tokens WHERE id = ?`, id))
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		if err := mutate(r); err != nil {
			return err
		}
		if ev.At.IsZero() {
			ev.At = time.Now()
		}
		r.Updated = ev.At
		pj, err := paramsJSON(r)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE tokens SET state = ?, assigned_user = ?, error = ?, owner = ?, lease_until = ?,
			programmed_at = ?, verified_at = ?, counter = ?, params = ?, updated_at = ?, station = ? WHERE id = ?`,
			string(r.State), r.User, r.Error, r.Owner, nanos(r.LeaseUntil),
			nanos(r.Programmed), nanos(r.Verified), int64(r.Counter), pj, nanos(r.Updated), r.Station, r.ID)
		if err != nil {
			return fmt.Errorf("ledger: updating serial %s: %w", r.Serial, err)
		}
		ev.RecordID, ev.Serial = r.ID, r.Serial
		if err := logEvent(ctx, tx, ev); err != nil {
			return err
		}
		out = r
		return nil
	})
	return out, err
}

// Current implements Store.
func (s *SQLite) Current(ctx context.Context, serial string) (*Record, error) {
	return current(ctx, s.db, serial)
}

// History implements Store.
func (s *SQLite) History(ctx context.Context, serial string) ([]*Record, error) {
	var out []*Record
	err := s.query(ctx, `SELECT `+recordCols+` FROM tokens WHERE serial = ? ORDER BY id`, []any{serial}, func(r *Record) error {
		out = append(out, r)
		return nil
	})
	return out, err
}

// List implements Store.
func (s *SQLite) List(ctx context.Context, f Filter, fn func(*Record) error) error {
	var where []string
	var args []any
	if !f.History {
		where = append(where, "live = 1")
	}
	if f.Batch != "" {
		where = append(where, "batch = ?")
		args = append(args, f.Batch)
	}
	if f.Family != "" {
		where = append(where, "family = ?")
		args = append(args, string(f.Family))
	}
	if f.Station != "" {
		where = append(where, "station = ?")
		args = append(args, f.Station)
	}
	if len(f.States) > 0 {
		where = append(where, "state IN ("+strings.TrimSuffix(strings.Repeat("?, ", len(f.States)), ", ")+")")
		for _, st := range f.States {
			args = append(args, string(st))
		}
	}
	q := `SELECT ` + recordCols + ` FROM tokens`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY id"
	var serials map[string]bool
	if len(f.Serials) > 0 {
		serials = make(map[string]bool, len(f.Serials))
		for _, s := range f.Serials {
			serials[s] = true
		}
	}
	return s.query(ctx, q, args, func(r *Record) error {
		if serials != nil && !serials[r.Serial] {
			return nil
		}
		return fn(r)
	})
}

func (s *SQLite) query(ctx context.Context, q string, args []any, fn func(*Record) error) error {
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("ledger: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		r, err := scanRecord(rows)
		if err != nil {
			return err
		}
		if err := fn(r); err != nil {
			return err
		}
	}
	return rows.Err()
}

// Events implements Store.
func (s *SQLite) Events(ctx context.Context, serial string) ([]Event, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, token_id, serial, at, event, operator, detail FROM events WHERE serial = ? ORDER BY id`, serial)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		var e Event
		var at int64
		if err := rows.Scan(&e.ID, &e.RecordID, &e.Serial, &at, &e.What, &e.Operator, &e.Detail); err != nil {
			return nil, err
		}
		e.At = time.Unix(0, at).UTC()
		out = append(out, e)
	}
	return out, rows.Err()
}

// SetMeta adds or replaces metadata entries in one transaction (for
// Ledger.Upgrade).
func (s *SQLite) SetMeta(ctx context.Context, kv map[string]string) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		for k, v := range kv {
			if _, err := tx.ExecContext(ctx, `INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, k, v); err != nil {
				return err
			}
		}
		return nil
	})
}

var (
	_ Restorer    = (*SQLite)(nil)
	_ EventLister = (*SQLite)(nil)
	_ MetaSetter  = (*SQLite)(nil)
)

// Restore implements Restorer: it creates the schema and writes meta,
// recs and events as they are, IDs included, in one transaction.
func (s *SQLite) Restore(ctx context.Context, meta map[string]string, recs []*Record, events []Event) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		v, err := s.version(ctx, tx)
		if err != nil {
			return err
		}
		if v != 0 {
			return ErrInitialized
		}
		for _, m := range migrations {
			if _, err := tx.ExecContext(ctx, m); err != nil {
				return fmt.Errorf("creating schema: %w", err)
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE schema_version SET version = ?`, SchemaVersion); err != nil {
			return err
		}
		for k, v := range meta {
			if _, err := tx.ExecContext(ctx, `INSERT INTO meta (key, value) VALUES (?, ?)`, k, v); err != nil {
				return err
			}
		}
		ins, err := tx.PrepareContext(ctx, `INSERT INTO tokens (id, serial, live, family, model, kind, hash, digits, period, counter, slot, params,
			state, batch, operator, assigned_user, source, error, owner, lease_until,
			created_at, programmed_at, verified_at, updated_at, replaces, secret, station)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
		if err != nil {
			return err
		}
		defer ins.Close()
		for _, r := range recs {
			pj, err := paramsJSON(r)
			if err != nil {
				return err
			}
			var live any
			if r.ReplacedBy == 0 {
				live = 1
			}
			if _, err := ins.ExecContext(ctx, r.ID, r.Serial, live, string(r.Family), r.Model, r.Kind.String(), r.Hash.String(),
				r.Digits, r.Period, int64(r.Counter), r.Slot, pj,
				string(r.State), r.Batch, r.Operator, r.User, r.Source, r.Error, r.Owner, nanos(r.LeaseUntil),
				nanos(r.Created), nanos(r.Programmed), nanos(r.Verified), nanos(r.Updated), nullID(r.Replaces), r.Sealed, r.Station); err != nil {
				return fmt.Errorf("record #%d (serial %s): %w", r.ID, r.Serial, err)
			}
		}
		for _, r := range recs {
			if r.ReplacedBy != 0 {
				if _, err := tx.ExecContext(ctx, `UPDATE tokens SET replaced_by = ? WHERE id = ?`, r.ReplacedBy, r.ID); err != nil {
					return fmt.Errorf("record #%d (serial %s): %w", r.ID, r.Serial, err)
				}
			}
		}
		for _, e := range events {
			if _, err := tx.ExecContext(ctx, `INSERT INTO events (id, token_id, serial, at, event, operator, detail) VALUES (?, ?, ?, ?, ?, ?, ?)`,
				e.ID, e.RecordID, e.Serial, e.At.UnixNano(), e.What, e.Operator, e.Detail); err != nil {
				return fmt.Errorf("event #%d: %w", e.ID, err)
			}
		}
		return nil
	})
}

// AllEvents implements EventLister.
func (s *SQLite) AllEvents(ctx context.Context, fn func(Event) error) error {
	if err := s.migrate(ctx); err != nil {
		return err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT id, token_id, serial, at, event, operator, detail FROM events ORDER BY id`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var e Event
		var at int64
		if err := rows.Scan(&e.ID, &e.RecordID, &e.Serial, &at, &e.What, &e.Operator, &e.Detail); err != nil {
			return err
		}
		e.At = time.Unix(0, at).UTC()
		if err := fn(e); err != nil {
			return err
		}
	}
	return rows.Err()
}

var _ Migrator = (*SQLite)(nil)

// Migrate implements Migrator: it takes an older ledger file to
// SchemaVersion (ErrNotLedger for a file without one).
func (s *SQLite) Migrate(ctx context.Context) error { return s.migrate(ctx) }
