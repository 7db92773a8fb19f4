package ledger

import (
	"context"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"sync"
)

// Opener opens (create: for a new ledger) the store a spec names. Backends
// other than the embedded SQLite register one with RegisterStore.
type Opener func(ctx context.Context, spec string, create bool) (Store, error)

var (
	openersMu sync.RWMutex
	openers   = map[string]Opener{}
)

// RegisterStore makes OpenStore use open for specs of the given scheme
// ("postgres" for postgres:// and postgresql:// URLs and libpq keyword
// strings). A backend package registers itself in its init function, so
// that a program opens it by importing the package for its side effect.
func RegisterStore(scheme string, open Opener) {
	openersMu.Lock()
	defer openersMu.Unlock()
	if _, dup := openers[scheme]; dup {
		panic("ledger: store scheme " + scheme + " registered twice")
	}
	openers[scheme] = open
}

// StoreSchemes lists the registered schemes ("sqlite" always first).
func StoreSchemes() []string {
	openersMu.RLock()
	defer openersMu.RUnlock()
	var out []string
	for k := range openers {
		out = append(out, k)
	}
	sort.Strings(out)
	return append([]string{"sqlite"}, out...)
}

// libpq keywords a PostgreSQL keyword/value connection string may start
// with; anything else is a file name.
var pgKeywords = []string{"host=", "hostaddr=", "dbname=", "service="}

// SpecScheme says which kind of store spec names: "postgres" for a
// postgres:// or postgresql:// URL or a libpq keyword string (starting
// with host=, hostaddr=, dbname= or service=), "sqlite" (a file path)
// otherwise.
func SpecScheme(spec string) string {
	s := strings.ToLower(strings.TrimSpace(spec))
	if strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://") {
		return "postgres"
	}
	for _, k := range pgKeywords {
		if strings.HasPrefix(s, k) {
			return "postgres"
		}
	}
	return "sqlite"
}

// OpenStore opens the store spec names: a registered backend for its
// scheme (see SpecScheme), or the SQLite file at that path. With create a
// SQLite file must not exist yet; a database must exist (its schema is made
// by Init). Errors never repeat the spec, which may hold a password.
func OpenStore(ctx context.Context, spec string, create bool) (Store, error) {
	scheme := SpecScheme(spec)
	if scheme == "sqlite" {
		return OpenSQLite(spec, create)
	}
	openersMu.RLock()
	open := openers[scheme]
	openersMu.RUnlock()
	if open == nil {
		return nil, fmt.Errorf("this program cannot open %s ledgers (no %s store built in)", scheme, scheme)
	}
	return open(ctx, spec, create)
}

// OpenSpec opens the ledger in the store spec names (see OpenStore and
// Open): OpenFile for any store.
func OpenSpec(ctx context.Context, spec string) (*Ledger, error) {
	if SpecScheme(spec) == "sqlite" {
		return OpenFile(ctx, spec)
	}
	s, err := OpenStore(ctx, spec, false)
	if err != nil {
		return nil, err
	}
	l, err := Open(ctx, s)
	if err != nil {
		s.Close()
		return nil, err
	}
	return l, nil
}

// CreateSpec creates a ledger in the store spec names (see OpenStore and
// Create): CreateFile for any store. A database must be empty of ledgers.
func CreateSpec(ctx context.Context, spec string, o CreateOptions) (*Ledger, []byte, error) {
	if SpecScheme(spec) == "sqlite" {
		return CreateFile(ctx, spec, o)
	}
	s, err := OpenStore(ctx, spec, true)
	if err != nil {
		return nil, nil, err
	}
	l, idf, err := Create(ctx, s, o)
	if err != nil {
		s.Close()
		return nil, nil, err
	}
	return l, idf, nil
}

// Migrator is a Store whose schema is taken forward explicitly ('ledger
// migrate'): both stores implement it. The SQLite store also migrates by
// itself when opened; a database is migrated only by its owner, since
// station logins cannot change the schema.
type Migrator interface {
	Migrate(ctx context.Context) error
}

// SpecName is spec as it may be shown: a file path as it is, a database
// URL or keyword string without its password.
func SpecName(spec string) string {
	if SpecScheme(spec) == "sqlite" {
		return spec
	}
	if u, err := url.Parse(spec); err == nil && u.Scheme != "" {
		if _, ok := u.User.Password(); ok {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
		}
		q := u.Query()
		if q.Has("password") {
			q.Set("password", "xxxxx")
			u.RawQuery = q.Encode()
		}
		return u.String()
	}
	f := strings.Fields(spec)
	for i, kv := range f {
		if strings.HasPrefix(kv, "password=") {
			f[i] = "password=xxxxx"
		}
	}
	return strings.Join(f, " ")
}
