package ledger

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/tokenctl/tokenctl/internal/secretin"
	"github.com/tokenctl/tokenctl/seed"
)

// How a program finds and opens a ledger on a user's behalf: the path from
// the environment or the default place, the keys, the checks on what was
// given. tokenctl's ledger, batch and upload commands all open this way.

// ResolvePath is the ledger a user means: given, else $TOKENCTL_LEDGER,
// else DefaultPath when a ledger exists there. Finding none is a usage
// error that says how to name one.
func ResolvePath(given string) (string, error) {
	if p := cmp.Or(given, os.Getenv("TOKENCTL_LEDGER")); p != "" {
		return p, nil
	}
	def, err := DefaultPath()
	if err != nil {
		return "", &usageError{fmt.Sprintf("no ledger: give --ledger FILE or set TOKENCTL_LEDGER (%v)", err)}
	}
	if _, err := os.Stat(def); err != nil {
		return "", &usageError{fmt.Sprintf("no ledger: give --ledger FILE, set TOKENCTL_LEDGER, or create %s with 'tokenctl ledger init'", def)}
	}
	return def, nil
}

// InitPath is where a new ledger goes: given, else $TOKENCTL_LEDGER, else
// DefaultPath, whose folder is then made (private) when missing.
func InitPath(given string) (string, error) {
	if p := cmp.Or(given, os.Getenv("TOKENCTL_LEDGER")); p != "" {
		return p, nil
	}
	def, err := DefaultPath()
	if err != nil {
		return "", &usageError{fmt.Sprintf("give the ledger to create (%v)", err)}
	}
	if err := os.MkdirAll(filepath.Dir(def), 0o700); err != nil {
		return "", err
	}
	return def, nil
}

// Access is what a user gave to open an existing ledger.
type Access struct {
	// Path is the ledger, a file or a database ("": ResolvePath's
	// choice); Open sets it to the one opened.
	Path string
	// Keys: identity files or a passphrase open secrets; the station key
	// file ("": $TOKENCTL_STATION_KEY_FILE) lets this machine record.
	Keys
	// PassphraseFrom, when set, gives the passphrase (a file, standard
	// input or an environment variable): it is read once the rest was
	// checked, and wiped after opening.
	PassphraseFrom secretin.Source
	// NeedSecrets: an identity file or a passphrase is required.
	NeedSecrets bool
}

// Open resolves a.Path, checks the keys given (an identity or a
// passphrase, not both; one of them with NeedSecrets) and opens the ledger
// with them (OpenFileWith). A problem with what was given is a usage
// error; the ledger failing to open is a *DataError, whatever its cause.
func (a *Access) Open(ctx context.Context) (*Ledger, error) {
	path, err := ResolvePath(a.Path)
	if err != nil {
		return nil, err
	}
	a.Path = path
	hasPass := a.Passphrase != nil || a.PassphraseFrom.IsSet()
	if len(a.IdentityFiles) > 0 && hasPass {
		return nil, &usageError{"give the ledger's identity file or its passphrase, not both"}
	}
	if a.NeedSecrets && len(a.IdentityFiles) == 0 && !hasPass {
		return nil, &usageError{"this needs the ledger's key: give --identity-file FILE or --passphrase-file/--passphrase-env"}
	}
	k := a.Keys
	k.StationKeyFile = cmp.Or(k.StationKeyFile, os.Getenv("TOKENCTL_STATION_KEY_FILE"))
	if a.PassphraseFrom.IsSet() {
		if k.Passphrase, err = readPassphrase(a.PassphraseFrom); err != nil {
			return nil, err
		}
		defer seed.Zero(k.Passphrase)
	}
	l, err := OpenFileWith(ctx, path, k)
	if err != nil {
		return nil, &DataError{err}
	}
	return l, nil
}

// DataError is an error of the data (a file, a key, the ledger), not of
// the request, even when what it wraps says otherwise: its UsageError is
// false, so tokenctl exits 1.
type DataError struct{ Err error }

func (e *DataError) Error() string { return e.Err.Error() }
func (e *DataError) Unwrap() error { return e.Err }

// UsageError reports false: the data is at fault.
func (e *DataError) UsageError() bool { return false }

// Selection is a record filter as a user types it: family and states by
// name in any case (see ParseFilter).
type Selection struct {
	Batch, Family, Station string
	States, Serials        []string
	// History includes records replaced by a reprogram.
	History bool
}

// Filter parses s; an unknown name is a usage error that starts with the
// flag that sets the field ("--family: ...", "--state: ...").
func (s Selection) Filter() (Filter, error) {
	f, err := ParseFilter(s.Batch, s.Family, s.States, s.Serials, s.History)
	f.Station = s.Station
	if err != nil {
		return f, &usageError{"--" + err.Error()}
	}
	return f, nil
}

// Granter is a store that grants database roles what a station and an
// operator need (the PostgreSQL store).
type Granter interface {
	Grant(ctx context.Context, stationRole, operatorRole string) error
}

// Grant gives stationRole and operatorRole what they need in l's store,
// which must be a Granter.
func (l *Ledger) Grant(ctx context.Context, stationRole, operatorRole string) error {
	g, ok := l.s.(Granter)
	if !ok {
		return &usageError{"grants are for a PostgreSQL ledger"}
	}
	return g.Grant(ctx, stationRole, operatorRole)
}

// Migrate takes the schema of the ledger given (see ResolvePath) forward
// (MigrateSpec), and returns the spec it resolved.
func Migrate(ctx context.Context, given string) (string, error) {
	spec, err := ResolvePath(given)
	if err != nil {
		return "", err
	}
	return spec, MigrateSpec(ctx, spec)
}

// MigrateSpec takes the schema of the store spec names forward (Migrator).
func MigrateSpec(ctx context.Context, spec string) error {
	s, err := OpenStore(ctx, spec, false)
	if err != nil {
		return err
	}
	defer s.Close()
	m, ok := s.(Migrator)
	if !ok {
		return &usageError{"this ledger's store does not migrate"}
	}
	return m.Migrate(ctx)
}

// InitOptions are what a user gives to make a new ledger (Init).
type InitOptions struct {
	// Path is the ledger to create, a file or a database ("": InitPath's
	// choice); Init sets it to the one made.
	Path string
	// IdentityOut, when not "", is the identity file to write
	// (CreateFiles).
	IdentityOut string
	// PassphraseFrom, when set, gives the passphrase that wraps the key
	// in the ledger; it is wiped after use.
	PassphraseFrom secretin.Source
	PostQuantum    bool
	// Grants: give StationRole and OperatorRole what they need (Grant;
	// a PostgreSQL ledger only).
	Grants                    bool
	StationRole, OperatorRole string
}

// readPassphrase reads s; failing is a usage error.
func readPassphrase(s secretin.Source) ([]byte, error) {
	p, err := s.Read()
	if err != nil {
		return nil, &usageError{fmt.Sprintf("passphrase: %v", err)}
	}
	return []byte(p), nil
}

// Init makes a new ledger as o says: where (InitPath), with an identity
// file, a passphrase or both (one is required: a ledger nobody can open
// would keep secrets no one can export), and the grants. A problem with
// what was given is a usage error. It returns the new ledger's
// description; when only the grants fail, the ledger is made.
func Init(ctx context.Context, o *InitOptions) (*Created, error) {
	path, err := InitPath(o.Path)
	if err != nil {
		return nil, err
	}
	o.Path = path
	if o.IdentityOut == "" && !o.PassphraseFrom.IsSet() {
		return nil, &usageError{"give --identity-out FILE, a passphrase (--passphrase-file/--passphrase-env), or both: otherwise no one could read the ledger's secrets"}
	}
	co := CreateOptions{PostQuantum: o.PostQuantum}
	if o.PassphraseFrom.IsSet() {
		if co.Passphrase, err = readPassphrase(o.PassphraseFrom); err != nil {
			return nil, err
		}
		defer seed.Zero(co.Passphrase)
	}
	if o.Grants && SpecScheme(path) != "postgres" {
		return nil, &usageError{"--grants is for a PostgreSQL ledger"}
	}
	l, err := CreateFiles(ctx, path, o.IdentityOut, co)
	if err != nil {
		return nil, err
	}
	defer l.Close()
	c := &Created{ID: l.ID(), IdentityFile: o.IdentityOut, Ledger: SpecName(path), Passphrase: o.PassphraseFrom.IsSet(), Recipient: l.Recipient()}
	if o.Grants {
		if err := l.Grant(ctx, o.StationRole, o.OperatorRole); err != nil {
			return c, fmt.Errorf("ledger created, but the grants failed: %w", err)
		}
	}
	return c, nil
}
