package ledger

import (
	"context"
	"time"
)

// Store is where a ledger keeps its records: the embedded SQLite file
// (OpenSQLite) or, later, a database shared by several provisioning
// stations. A Store holds no key and never sees a plaintext secret; the
// Ledger seals secrets before they reach it and enforces the state rules
// in the callbacks it passes to Insert and Update.
//
// Every method that changes something is one transaction, durable (on disk,
// fsync'd) when it returns nil, and serialised against every other writer
// of the same ledger, in this process or another, so that the callbacks see
// the latest committed state. Package storetest checks a backend against
// this contract (the SQLite store runs it in TestSQLiteContract).
type Store interface {
	// Init creates the schema and writes the ledger's metadata. It fails
	// with ErrInitialized when the store already holds a ledger.
	Init(ctx context.Context, meta map[string]string) error

	// Meta returns the ledger's metadata, or ErrNotLedger.
	Meta(ctx context.Context) (map[string]string, error)

	// Insert adds recs in one transaction and sets their IDs. A serial
	// that already has a current record is refused with *ExistsError
	// (listing every such serial, nothing inserted) unless o.Replace is
	// set; then o.MayReplace (when not nil) is called with the old record
	// inside the transaction and may veto with an error, and otherwise
	// the old record is linked to the new one (ReplacedBy/Replaces) and
	// stops being current. Two records with one serial in recs is an
	// error. Each insert (and each replacement) is logged as an event.
	Insert(ctx context.Context, recs []*Record, o InsertOptions) error

	// Update reads record id, calls mutate on it inside the transaction
	// and writes back its mutable fields (State, User, Error, Owner,
	// LeaseUntil, Programmed, Verified, Counter, Labels, Station) with an event
	// (ev.RecordID, ev.Serial and ev.At are filled in). An error from
	// mutate aborts the transaction and is returned as is. It returns
	// the record as written.
	Update(ctx context.Context, id int64, ev Event, mutate func(r *Record) error) (*Record, error)

	// Current returns serial's current record, or ErrNotFound.
	Current(ctx context.Context, serial string) (*Record, error)

	// History returns every record of serial, oldest first.
	History(ctx context.Context, serial string) ([]*Record, error)

	// List calls fn with each record matching f, in ID order, until fn
	// returns an error.
	List(ctx context.Context, f Filter, fn func(*Record) error) error

	// Events returns the history of serial (every record), oldest first.
	Events(ctx context.Context, serial string) ([]Event, error)

	Close() error
}

// InsertOptions tell Store.Insert how to treat serials already recorded.
type InsertOptions struct {
	Replace    bool
	MayReplace func(old *Record) error
	// Event names what happened ("reserved", "imported"...), logged with
	// Operator and Detail for each inserted record (Detail defaults to
	// "from SOURCE" for records with a Source).
	Event    string
	Operator string
	Detail   string
	At       time.Time
}
