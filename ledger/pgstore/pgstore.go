// Package pgstore keeps a ledger in PostgreSQL, for several provisioning
// stations sharing one ledger. It implements ledger.Store (and the optional
// ledger.MetaSetter, ledger.Restorer and ledger.EventLister) with the same
// columns, in the same encodings, as the embedded SQLite store, so a record
// and its MAC read back identically from either and a ledger moves between
// them with ledger.Copy.
//
// Importing the package registers it with ledger.RegisterStore: then
// ledger.OpenStore, OpenSpec and CreateSpec open postgres:// and
// postgresql:// URLs and libpq keyword strings (host=... dbname=...),
// with every libpq option, TLS ones (sslmode=verify-full, sslrootcert...)
// included, passed through to pgx.
//
// Concurrency is the database's: a serial has at most one current record
// by a partial unique index (tokens_serial_live); inserts, initialisation
// and metadata changes run SERIALIZABLE, updates take the record's row
// lock (SELECT ... FOR UPDATE) so each read-modify-write sees the latest
// commit. A transaction that fails on a serialization failure (40001), a
// deadlock (40P01) or a concurrent insert of the same serial is run again
// from the start, at most MaxRetries times, each retry logged to Logger.
// Callbacks (InsertOptions.MayReplace, Update's mutate) may therefore run
// more than once; the ledger's are pure checks.
//
// The schema is versioned in table schema_version: Init creates it,
// Migrate takes an older one forward (each migration one transaction,
// never backwards), and a schema newer than this code is refused.
package pgstore

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/tokenctl/tokenctl/ledger"
	"github.com/tokenctl/tokenctl/seed"
)

func init() {
	ledger.RegisterStore("postgres", func(ctx context.Context, spec string, create bool) (ledger.Store, error) {
		return Open(ctx, spec)
	})
}

// SchemaVersion is the version of the schema this code writes and reads.
const SchemaVersion = 2

// DefaultMaxRetries bounds how often a transaction is run again.
const DefaultMaxRetries = 10

// migrations[i] takes a database from schema version i to i+1; each runs
// in its own transaction with the version update.
var migrations = []string{
	0: `
CREATE TABLE meta (
	key   text PRIMARY KEY,
	value text NOT NULL
);
CREATE TABLE tokens (
	id            bigserial PRIMARY KEY,
	serial        text     NOT NULL,
	live          smallint CHECK (live = 1), -- 1 for the serial's current record, NULL once replaced
	family        text     NOT NULL,
	model         text     NOT NULL DEFAULT '',
	kind          text     NOT NULL,
	hash          text     NOT NULL,
	digits        integer  NOT NULL DEFAULT 0,
	period        integer  NOT NULL DEFAULT 0,
	counter       bigint   NOT NULL DEFAULT 0,
	slot          integer  NOT NULL DEFAULT 0,
	params        text     NOT NULL DEFAULT '{}', -- JSON, as in the SQLite store (the record's MAC included)
	state         text     NOT NULL CHECK (state IN ('pending', 'programmed', 'verified', 'failed')),
	batch         text     NOT NULL DEFAULT '',
	operator      text     NOT NULL DEFAULT '',
	assigned_user text     NOT NULL DEFAULT '',
	source        text     NOT NULL DEFAULT '',
	error         text     NOT NULL DEFAULT '',
	owner         text     NOT NULL DEFAULT '',
	lease_until   bigint,            -- Unix nanoseconds, as in the SQLite store
	created_at    bigint   NOT NULL,
	programmed_at bigint,
	verified_at   bigint,
	updated_at    bigint   NOT NULL,
	replaces      bigint   REFERENCES tokens (id),
	replaced_by   bigint   REFERENCES tokens (id),
	secret        bytea    NOT NULL  -- age ciphertext
);
CREATE UNIQUE INDEX tokens_serial_live ON tokens (serial) WHERE live IS NOT NULL;
CREATE INDEX tokens_serial ON tokens (serial);
CREATE INDEX tokens_batch ON tokens (batch);
CREATE INDEX tokens_state ON tokens (state);
CREATE TABLE events (
	id       bigserial PRIMARY KEY,
	token_id bigint NOT NULL REFERENCES tokens (id),
	serial   text   NOT NULL,
	at       bigint NOT NULL,
	event    text   NOT NULL,
	operator text   NOT NULL DEFAULT '',
	detail   text   NOT NULL DEFAULT ''
);
CREATE INDEX events_serial ON events (serial);
`,
	1: `
ALTER TABLE tokens ADD COLUMN station text NOT NULL DEFAULT '';
CREATE INDEX tokens_station ON tokens (station);
`,
}

// ErrSchemaTooNew is wrapped by the error for a database whose schema a
// newer tokenctl wrote.
var ErrSchemaTooNew = errors.New("the ledger database's schema is newer than this tokenctl understands: upgrade tokenctl")

// ErrSchemaOld is wrapped by the error for a database that needs Migrate.
var ErrSchemaOld = errors.New("the ledger database's schema is older than this tokenctl: run 'tokenctl ledger migrate'")

// Store is a ledger in a PostgreSQL database.
type Store struct {
	pool *pgxpool.Pool
	// Logger, when not nil, is told of every transaction run again.
	Logger *slog.Logger
	// MaxRetries bounds how often one transaction is run again after a
	// serialization failure (DefaultMaxRetries when 0).
	MaxRetries int
}

var (
	_ ledger.Store       = (*Store)(nil)
	_ ledger.MetaSetter  = (*Store)(nil)
	_ ledger.Restorer    = (*Store)(nil)
	_ ledger.EventLister = (*Store)(nil)
	_ ledger.Migrator    = (*Store)(nil)
)

// Open connects to the database spec names: a postgres:// or
// postgresql:// URL or a libpq keyword/value string, every libpq option
// (sslmode, sslrootcert, sslcert, passfile, PGPASSWORD and the other PG*
// environment variables...) as libpq reads it. The database must exist;
// Init creates the ledger's schema in it. Errors never repeat the spec.
func Open(ctx context.Context, spec string) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(spec)
	if err != nil {
		var pe *pgconn.ParseConfigError
		if errors.As(err, &pe) && pe.Unwrap() != nil {
			return nil, fmt.Errorf("ledger database: cannot parse the connection string: %v", pe.Unwrap())
		}
		return nil, errors.New("ledger database: cannot parse the connection string")
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("ledger database: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, &Unreachable{fmt.Errorf("ledger database: %w", err)}
	}
	return &Store{pool: pool}, nil
}

// Unreachable is a database that could not be reached (no server, refused
// login, TLS): a transport error, not bad data (tokenctl exits 3).
type Unreachable struct{ Err error }

func (e *Unreachable) Error() string { return e.Err.Error() }
func (e *Unreachable) Unwrap() error { return e.Err }

// DeviceError: the connection failed (tokenctl exits 3).
func (e *Unreachable) DeviceError() bool { return true }

// Pool exposes the connection pool, for tests and diagnostics.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// Close implements ledger.Store.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// retryable reports whether err is worth running the transaction again.
func retryable(err error) bool {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return false
	}
	switch pe.Code {
	case "40001", "40P01": // serialization_failure, deadlock_detected
		return true
	case "23505": // unique_violation: a concurrent insert of the same serial
		return pe.ConstraintName == "tokens_serial_live"
	}
	return false
}

// tx runs fn in a transaction at iso, again from the start on a
// serialization failure, at most MaxRetries times.
func (s *Store) tx(ctx context.Context, what string, iso pgx.TxIsoLevel, fn func(tx pgx.Tx) error) error {
	limit := s.MaxRetries
	if limit <= 0 {
		limit = DefaultMaxRetries
	}
	for attempt := 0; ; attempt++ {
		err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: iso}, fn)
		if err == nil || !retryable(err) {
			return err
		}
		if attempt >= limit {
			return fmt.Errorf("ledger database: %s: gave up after %d retries: %w", what, attempt, err)
		}
		wait := time.Duration(1+rand.IntN(5<<min(attempt, 6))) * time.Millisecond
		if s.Logger != nil {
			s.Logger.Warn("ledger database: transaction conflicted, retrying", "op", what, "attempt", attempt+1, "wait", wait, "error", err.Error())
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
	}
}

type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// version is the schema version (0: no schema) and whether a ledger was
// initialised in it.
func version(ctx context.Context, q querier) (int, bool, error) {
	var reg *string
	if err := q.QueryRow(ctx, `SELECT to_regclass('schema_version')::text`).Scan(&reg); err != nil {
		return 0, false, fmt.Errorf("ledger database: %w", err)
	}
	if reg == nil {
		return 0, false, nil
	}
	var v int
	var init *int64
	if err := q.QueryRow(ctx, `SELECT version, initialized_at FROM schema_version`).Scan(&v, &init); err != nil {
		return 0, false, fmt.Errorf("ledger database: reading the schema version: %w", err)
	}
	return v, init != nil, nil
}

// Version returns the database's schema version (0: none yet).
func (s *Store) Version(ctx context.Context) (int, error) {
	v, _, err := version(ctx, s.pool)
	return v, err
}

// migrationLock is the advisory lock key migrations take.
const migrationLock = 0x746f6b656e63746c // "tokenctl"

// Migrate creates the schema or takes it forward to SchemaVersion, one
// transaction per migration (concurrent migrators wait for each other).
// A schema newer than SchemaVersion is refused with ErrSchemaTooNew.
func (s *Store) Migrate(ctx context.Context) error {
	for {
		done := false
		err := s.tx(ctx, "migrate", pgx.ReadCommitted, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(migrationLock)); err != nil {
				return err
			}
			v, _, err := version(ctx, tx)
			if err != nil {
				return err
			}
			switch {
			case v > SchemaVersion:
				return fmt.Errorf("%w (schema version %d, this tokenctl knows %d)", ErrSchemaTooNew, v, SchemaVersion)
			case v == SchemaVersion:
				done = true
				return nil
			case v == 0:
				if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_version (version integer NOT NULL, initialized_at bigint);
					INSERT INTO schema_version (version) SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM schema_version)`); err != nil {
					return fmt.Errorf("creating the schema: %w", err)
				}
			}
			if _, err := tx.Exec(ctx, migrations[v]); err != nil {
				return fmt.Errorf("migrating the ledger schema to version %d: %w", v+1, err)
			}
			_, err = tx.Exec(ctx, `UPDATE schema_version SET version = $1`, v+1)
			return err
		})
		if err != nil || done {
			return err
		}
	}
}

// checkVersion refuses a database without a ledger or with another schema.
func checkVersion(ctx context.Context, q querier) error {
	v, init, err := version(ctx, q)
	switch {
	case err != nil:
		return err
	case v > SchemaVersion:
		return fmt.Errorf("%w (schema version %d, this tokenctl knows %d)", ErrSchemaTooNew, v, SchemaVersion)
	case v == 0 || !init:
		return ledger.ErrNotLedger
	case v < SchemaVersion:
		return fmt.Errorf("%w (schema version %d, this tokenctl writes %d)", ErrSchemaOld, v, SchemaVersion)
	}
	return nil
}

// Init implements ledger.Store: Migrate, then the metadata, once.
func (s *Store) Init(ctx context.Context, meta map[string]string) error {
	return s.initWith(ctx, "init", meta, nil)
}

func (s *Store) initWith(ctx context.Context, what string, meta map[string]string, more func(tx pgx.Tx) error) error {
	if err := s.Migrate(ctx); err != nil {
		return err
	}
	return s.tx(ctx, what, pgx.Serializable, func(tx pgx.Tx) error {
		// The row lock makes a concurrent Init wait, then see this one.
		var init *int64
		if err := tx.QueryRow(ctx, `SELECT initialized_at FROM schema_version FOR UPDATE`).Scan(&init); err != nil {
			return err
		}
		if init != nil {
			return ledger.ErrInitialized
		}
		for k, v := range meta {
			if _, err := tx.Exec(ctx, `INSERT INTO meta (key, value) VALUES ($1, $2)`, k, v); err != nil {
				return err
			}
		}
		if more != nil {
			if err := more(tx); err != nil {
				return err
			}
		}
		_, err := tx.Exec(ctx, `UPDATE schema_version SET initialized_at = $1`, time.Now().UnixNano())
		return err
	})
}

// Meta implements ledger.Store.
func (s *Store) Meta(ctx context.Context) (map[string]string, error) {
	if err := checkVersion(ctx, s.pool); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `SELECT key, value FROM meta`)
	if err != nil {
		return nil, fmt.Errorf("ledger database: %w", err)
	}
	m := map[string]string{}
	var k, v string
	_, err = pgx.ForEachRow(rows, []any{&k, &v}, func() error {
		m[k] = v
		return nil
	})
	return m, err
}

// SetMeta implements ledger.MetaSetter.
func (s *Store) SetMeta(ctx context.Context, kv map[string]string) error {
	return s.tx(ctx, "set metadata", pgx.Serializable, func(tx pgx.Tx) error {
		for k, v := range kv {
			if _, err := tx.Exec(ctx, `INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, k, v); err != nil {
				return err
			}
		}
		return nil
	})
}

const recordCols = `id, serial, family, model, kind, hash, digits, period, counter, slot, params,
	state, batch, operator, assigned_user, source, error, owner, lease_until,
	created_at, programmed_at, verified_at, updated_at, replaces, replaced_by, secret, station`

// params is the JSON column, exactly as the SQLite store writes it.
type params struct {
	Manufacturer string            `json:"manufacturer,omitempty"`
	Issuer       string            `json:"issuer,omitempty"`
	PublicID     string            `json:"public_id,omitempty"`
	Labels       map[string]string `json:"labels,omitempty"`
	Auth         []byte            `json:"auth,omitempty"` // the record's MAC (base64)
}

func scanRecord(row pgx.Row) (*ledger.Record, error) {
	var (
		r                                    ledger.Record
		kind, hash, fam, state, pj           string
		counter                              int64
		lease, created, programmed, verified *int64
		upd, replaces, replacedBy            *int64
	)
	err := row.Scan(&r.ID, &r.Serial, &fam, &r.Model, &kind, &hash, &r.Digits, &r.Period, &counter, &r.Slot, &pj,
		&state, &r.Batch, &r.Operator, &r.User, &r.Source, &r.Error, &r.Owner, &lease,
		&created, &programmed, &verified, &upd, &replaces, &replacedBy, &r.Sealed, &r.Station)
	if err != nil {
		return nil, err
	}
	r.Family, r.State = ledger.Family(fam), ledger.State(state)
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
	if replaces != nil {
		r.Replaces = *replaces
	}
	if replacedBy != nil {
		r.ReplacedBy = *replacedBy
	}
	return &r, nil
}

func paramsJSON(r *ledger.Record) (string, error) {
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

func fromNanos(n *int64) time.Time {
	if n == nil {
		return time.Time{}
	}
	return time.Unix(0, *n).UTC()
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

var tokenCopyCols = []string{"id", "serial", "live", "family", "model", "kind", "hash", "digits", "period", "counter", "slot", "params",
	"state", "batch", "operator", "assigned_user", "source", "error", "owner", "lease_until",
	"created_at", "programmed_at", "verified_at", "updated_at", "replaces", "secret", "station"}

func tokenRow(r *ledger.Record, live any) ([]any, error) {
	pj, err := paramsJSON(r)
	if err != nil {
		return nil, err
	}
	return []any{r.ID, r.Serial, live, string(r.Family), r.Model, r.Kind.String(), r.Hash.String(),
		int32(r.Digits), int32(r.Period), int64(r.Counter), int32(r.Slot), pj,
		string(r.State), r.Batch, r.Operator, r.User, r.Source, r.Error, r.Owner, nanos(r.LeaseUntil),
		nanos(r.Created), nanos(r.Programmed), nanos(r.Verified), nanos(r.Updated), nullID(r.Replaces), r.Sealed, r.Station}, nil
}

// Insert implements ledger.Store: one SERIALIZABLE transaction that reads
// the current records of every serial at once, takes the new IDs from the
// sequence and writes the records and events with COPY.
func (s *Store) Insert(ctx context.Context, recs []*ledger.Record, o ledger.InsertOptions) error {
	seen := make(map[string]bool, len(recs))
	serials := make([]string, 0, len(recs))
	for _, r := range recs {
		if seen[r.Serial] {
			return fmt.Errorf("serial %s given twice", r.Serial)
		}
		seen[r.Serial] = true
		serials = append(serials, r.Serial)
	}
	if len(recs) == 0 {
		return nil
	}
	at := o.At
	if at.IsZero() {
		at = time.Now()
	}
	// What a failed attempt changes in recs, restored before the next.
	type orig struct {
		created  time.Time
		replaces int64
	}
	origs := make([]orig, len(recs))
	for i, r := range recs {
		origs[i] = orig{r.Created, r.Replaces}
	}
	err := s.tx(ctx, "insert", pgx.Serializable, func(tx pgx.Tx) error {
		for i, r := range recs {
			r.ID, r.Created, r.Replaces = 0, origs[i].created, origs[i].replaces
		}
		rows, err := tx.Query(ctx, `SELECT `+recordCols+` FROM tokens WHERE serial = ANY($1) AND live = 1`, serials)
		if err != nil {
			return err
		}
		olds, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*ledger.Record, error) { return scanRecord(row) })
		if err != nil {
			return err
		}
		old := make(map[string]*ledger.Record, len(olds))
		for _, r := range olds {
			old[r.Serial] = r
		}
		var conflicts []*ledger.Record
		var oldIDs []int64
		for _, r := range recs {
			x := old[r.Serial]
			switch {
			case x == nil:
				continue
			case !o.Replace:
				conflicts = append(conflicts, x)
				continue
			}
			if len(conflicts) > 0 {
				continue
			}
			if o.MayReplace != nil {
				if err := o.MayReplace(x); err != nil {
					return err
				}
			}
			oldIDs = append(oldIDs, x.ID)
		}
		if len(conflicts) > 0 {
			return &ledger.ExistsError{Records: conflicts}
		}
		rows, err = tx.Query(ctx, `SELECT nextval(pg_get_serial_sequence('tokens', 'id')) FROM generate_series(1, $1)`, len(recs))
		if err != nil {
			return err
		}
		ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
		if err != nil {
			return err
		}
		slices.Sort(ids)
		if len(oldIDs) > 0 {
			if _, err := tx.Exec(ctx, `UPDATE tokens SET live = NULL WHERE id = ANY($1)`, oldIDs); err != nil {
				return err
			}
		}
		what := o.Event
		if what == "" {
			what = "recorded"
		}
		trows := make([][]any, 0, len(recs))
		var erows [][]any
		var links [2][]int64
		for i, r := range recs {
			r.ID = ids[i]
			if x := old[r.Serial]; x != nil {
				r.Replaces = x.ID
			}
			if r.Created.IsZero() {
				r.Created = at
			}
			r.Updated = at
			row, err := tokenRow(r, int16(1))
			if err != nil {
				return err
			}
			trows = append(trows, row)
			detail := o.Detail
			if detail == "" && r.Source != "" {
				detail = "from " + r.Source
			}
			erows = append(erows, []any{r.ID, r.Serial, at.UnixNano(), what, o.Operator, detail})
			if x := old[r.Serial]; x != nil {
				links[0], links[1] = append(links[0], x.ID), append(links[1], r.ID)
				erows = append(erows, []any{x.ID, x.Serial, at.UnixNano(), "replaced", o.Operator,
					fmt.Sprintf("replaced by record #%d (was %s)", r.ID, x.State)})
			}
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"tokens"}, tokenCopyCols, pgx.CopyFromRows(trows)); err != nil {
			return fmt.Errorf("ledger: recording %d serials: %w", len(recs), err)
		}
		if len(links[0]) > 0 {
			if _, err := tx.Exec(ctx, `UPDATE tokens SET replaced_by = v.nw, updated_at = $3
				FROM unnest($1::bigint[], $2::bigint[]) AS v(old, nw) WHERE tokens.id = v.old`, links[0], links[1], at.UnixNano()); err != nil {
				return err
			}
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"events"}, []string{"token_id", "serial", "at", "event", "operator", "detail"},
			pgx.CopyFromRows(erows)); err != nil {
			return fmt.Errorf("ledger: logging events: %w", err)
		}
		return nil
	})
	if err != nil {
		for i, r := range recs {
			r.ID, r.Created, r.Replaces = 0, origs[i].created, origs[i].replaces
		}
	}
	return err
}

// Update implements ledger.Store: the record's row lock (READ COMMITTED,
// SELECT ... FOR UPDATE) serialises it with every other writer of that
// record, and mutate sees the latest committed state.
func (s *Store) Update(ctx context.Context, id int64, ev ledger.Event, mutate func(r *ledger.Record) error) (*ledger.Record, error) {
	var out *ledger.Record
	ev0 := ev
	err := s.tx(ctx, "update", pgx.ReadCommitted, func(tx pgx.Tx) error {
		ev := ev0
		r, err := scanRecord(tx.QueryRow(ctx, `SELECT `+recordCols+` FROM tokens WHERE id = $1 FOR UPDATE`, id))
		if errors.Is(err, pgx.ErrNoRows) {
			return ledger.ErrNotFound
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
		_, err = tx.Exec(ctx, `UPDATE tokens SET state = $1, assigned_user = $2, error = $3, owner = $4, lease_until = $5,
			programmed_at = $6, verified_at = $7, counter = $8, params = $9, updated_at = $10, station = $11 WHERE id = $12`,
			string(r.State), r.User, r.Error, r.Owner, nanos(r.LeaseUntil),
			nanos(r.Programmed), nanos(r.Verified), int64(r.Counter), pj, nanos(r.Updated), r.Station, r.ID)
		if err != nil {
			return fmt.Errorf("ledger: updating serial %s: %w", r.Serial, err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO events (token_id, serial, at, event, operator, detail) VALUES ($1, $2, $3, $4, $5, $6)`,
			r.ID, r.Serial, ev.At.UnixNano(), ev.What, ev.Operator, ev.Detail); err != nil {
			return fmt.Errorf("ledger: logging event: %w", err)
		}
		out = r
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Current implements ledger.Store.
func (s *Store) Current(ctx context.Context, serial string) (*ledger.Record, error) {
	r, err := scanRecord(s.pool.QueryRow(ctx, `SELECT `+recordCols+` FROM tokens WHERE serial = $1 AND live = 1`, serial))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, ledger.ErrNotFound
	}
	return r, err
}

// History implements ledger.Store.
func (s *Store) History(ctx context.Context, serial string) ([]*ledger.Record, error) {
	var out []*ledger.Record
	err := s.query(ctx, `SELECT `+recordCols+` FROM tokens WHERE serial = $1 ORDER BY id`, []any{serial}, func(r *ledger.Record) error {
		out = append(out, r)
		return nil
	})
	return out, err
}

// List implements ledger.Store.
func (s *Store) List(ctx context.Context, f ledger.Filter, fn func(*ledger.Record) error) error {
	var where []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	if !f.History {
		where = append(where, "live = 1")
	}
	if f.Batch != "" {
		where = append(where, "batch = "+arg(f.Batch))
	}
	if f.Family != "" {
		where = append(where, "family = "+arg(string(f.Family)))
	}
	if f.Station != "" {
		where = append(where, "station = "+arg(f.Station))
	}
	if len(f.States) > 0 {
		st := make([]string, len(f.States))
		for i, x := range f.States {
			st[i] = string(x)
		}
		where = append(where, "state = ANY("+arg(st)+")")
	}
	if len(f.Serials) > 0 {
		where = append(where, "serial = ANY("+arg(f.Serials)+")")
	}
	q := `SELECT ` + recordCols + ` FROM tokens`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY id"
	return s.query(ctx, q, args, fn)
}

func (s *Store) query(ctx context.Context, q string, args []any, fn func(*ledger.Record) error) error {
	rows, err := s.pool.Query(ctx, q, args...)
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

func (s *Store) events(ctx context.Context, q string, args []any, fn func(ledger.Event) error) error {
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("ledger: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var e ledger.Event
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

// Events implements ledger.Store.
func (s *Store) Events(ctx context.Context, serial string) ([]ledger.Event, error) {
	var out []ledger.Event
	err := s.events(ctx, `SELECT id, token_id, serial, at, event, operator, detail FROM events WHERE serial = $1 ORDER BY id`,
		[]any{serial}, func(e ledger.Event) error {
			out = append(out, e)
			return nil
		})
	return out, err
}

// AllEvents implements ledger.EventLister.
func (s *Store) AllEvents(ctx context.Context, fn func(ledger.Event) error) error {
	return s.events(ctx, `SELECT id, token_id, serial, at, event, operator, detail FROM events ORDER BY id`, nil, fn)
}

// Restore implements ledger.Restorer: the schema, then meta, recs and
// events as they are, in one transaction, and the ID sequences moved past
// the copied IDs.
func (s *Store) Restore(ctx context.Context, meta map[string]string, recs []*ledger.Record, events []ledger.Event) error {
	return s.initWith(ctx, "restore", meta, func(tx pgx.Tx) error {
		trows := make([][]any, 0, len(recs))
		var links [2][]int64
		for _, r := range recs {
			var live any
			if r.ReplacedBy == 0 {
				live = int16(1)
			} else {
				links[0], links[1] = append(links[0], r.ID), append(links[1], r.ReplacedBy)
			}
			row, err := tokenRow(r, live)
			if err != nil {
				return err
			}
			trows = append(trows, row)
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"tokens"}, tokenCopyCols, pgx.CopyFromRows(trows)); err != nil {
			return fmt.Errorf("copying records: %w", err)
		}
		if len(links[0]) > 0 {
			if _, err := tx.Exec(ctx, `UPDATE tokens SET replaced_by = v.nw FROM unnest($1::bigint[], $2::bigint[]) AS v(old, nw)
				WHERE tokens.id = v.old`, links[0], links[1]); err != nil {
				return fmt.Errorf("linking replaced records: %w", err)
			}
		}
		erows := make([][]any, 0, len(events))
		for _, e := range events {
			erows = append(erows, []any{e.ID, e.RecordID, e.Serial, e.At.UnixNano(), e.What, e.Operator, e.Detail})
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"events"}, []string{"id", "token_id", "serial", "at", "event", "operator", "detail"},
			pgx.CopyFromRows(erows)); err != nil {
			return fmt.Errorf("copying events: %w", err)
		}
		for _, t := range []string{"tokens", "events"} {
			if _, err := tx.Exec(ctx, `SELECT setval(pg_get_serial_sequence('`+t+`', 'id'), (SELECT coalesce(max(id), 0) + 1 FROM `+t+`), false)`); err != nil {
				return err
			}
		}
		return nil
	})
}
