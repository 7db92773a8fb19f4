package ledger

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/user"
	"path/filepath"
	"runtime"

	"filippo.io/age"

	"github.com/tokenctl/tokenctl/internal/fsutil"
	"github.com/tokenctl/tokenctl/seed"
)

// The ledger as files on this machine: where it lives by default, how it
// is made with its identity file, the station key file.

// MinPassphrase is the shortest passphrase CreateFiles accepts, in
// characters.
const MinPassphrase = 8

// DefaultPath is where the ledger lives when none is named: under the
// user's local application data, never a roaming or shared folder:
// %LOCALAPPDATA%\tokenctl on Windows, ~/Library/Application Support/tokenctl
// on macOS, $XDG_DATA_HOME/tokenctl (~/.local/share/tokenctl) elsewhere.
func DefaultPath() (string, error) {
	var dir string
	switch runtime.GOOS {
	case "windows":
		dir = os.Getenv("LOCALAPPDATA")
	case "darwin":
		if h, err := os.UserHomeDir(); err == nil {
			dir = filepath.Join(h, "Library", "Application Support")
		}
	default:
		dir = os.Getenv("XDG_DATA_HOME")
		if dir == "" {
			if h, err := os.UserHomeDir(); err == nil {
				dir = filepath.Join(h, ".local", "share")
			}
		}
	}
	if dir == "" {
		return "", errors.New("no folder for application data")
	}
	return filepath.Join(dir, "tokenctl", "tokens.ledger"), nil
}

// DefaultOperator names who is at this machine, for a ledger's history:
// $TOKENCTL_OPERATOR, else the login name.
func DefaultOperator() string {
	if o := os.Getenv("TOKENCTL_OPERATOR"); o != "" {
		return o
	}
	if u, err := user.Current(); err == nil {
		return u.Username
	}
	return os.Getenv("USER")
}

// CreateFiles is CreateFile that also writes the ledger's identity file
// to identityOut (unless empty): a new file (an existing one is never
// overwritten), mode 0600, not the ledger itself. Nothing is left behind
// on failure: when the identity file cannot be written, the ledger is
// removed again. A passphrase (o.Passphrase) has at least MinPassphrase
// characters.
func CreateFiles(ctx context.Context, path, identityOut string, o CreateOptions) (*Ledger, error) {
	if identityOut != "" {
		if sameFile(identityOut, path) {
			return nil, &usageError{"the identity file must not be the ledger"}
		}
		if _, err := os.Lstat(identityOut); err == nil {
			return nil, fmt.Errorf("%s already exists: not overwriting a key", identityOut)
		}
	}
	if o.Passphrase != nil && len([]rune(string(o.Passphrase))) < MinPassphrase {
		return nil, &usageError{fmt.Sprintf("passphrase: at least %d characters", MinPassphrase)}
	}
	l, idf, err := CreateSpec(ctx, path, o)
	if err != nil {
		return nil, err
	}
	defer seed.Zero(idf)
	if identityOut != "" {
		err := fsutil.WriteAtomic(identityOut, func(w io.Writer) error {
			_, err := w.Write(idf)
			return err
		})
		if err != nil {
			l.Close()
			if SpecScheme(path) == "sqlite" {
				removeLedgerFiles(path)
			}
			return nil, fmt.Errorf("writing the identity file (ledger not created): %w", err)
		}
	}
	return l, nil
}

func sameFile(a, b string) bool {
	x, err1 := filepath.Abs(a)
	y, err2 := filepath.Abs(b)
	return err1 == nil && err2 == nil && x == y
}

// Keys are what opens a ledger for a caller: age identity files or the
// ledger's passphrase (to open secrets: give one or the other), and a
// station key file (to record tokens on a machine that does not know the
// ledger yet). All are optional.
type Keys struct {
	IdentityFiles  []string
	Passphrase     []byte // nil: none given
	StationKeyFile string
}

// OpenFileWith opens the ledger at path, a file or a database (OpenSpec), unlocks it
// with k's identity files or else its passphrase, then gives it k's
// station key (UseStationKeyFile). Errors name the file at fault: the
// ledger ("PATH: this identity or passphrase does not open the ledger"),
// an identity file or the station key file.
func OpenFileWith(ctx context.Context, path string, k Keys) (*Ledger, error) {
	l, err := OpenSpec(ctx, path)
	if err != nil {
		return nil, err
	}
	if err := l.useKeys(ctx, path, k); err != nil {
		l.Close()
		return nil, err
	}
	return l, nil
}

func (l *Ledger) useKeys(ctx context.Context, name string, k Keys) error {
	var err error
	switch {
	case len(k.IdentityFiles) > 0:
		var ids []age.Identity
		for _, p := range k.IdentityFiles {
			got, err := ReadIdentityFile(p)
			if err != nil {
				return fmt.Errorf("identity file: %w", err)
			}
			ids = append(ids, got...)
		}
		err = l.Unlock(ctx, ids...)
	case k.Passphrase != nil:
		err = l.UnlockPassphrase(ctx, k.Passphrase)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	if k.StationKeyFile != "" {
		return l.UseStationKeyFile(ctx, k.StationKeyFile)
	}
	return nil
}

// UseStationKeyFile is UseStationKey with the content of the station key
// file at path (which must be private to its owner).
func (l *Ledger) UseStationKeyFile(ctx context.Context, path string) error {
	b, err := fsutil.ReadPrivate(path, 1<<16)
	if err == nil {
		err = l.UseStationKey(ctx, b)
	}
	if err != nil {
		return fmt.Errorf("station key %s: %w", path, err)
	}
	return nil
}

// WriteStationKey writes the ledger's station key (StationKey) to a new
// private file at path; it never overwrites one, nor leaves half a file.
func (l *Ledger) WriteStationKey(path string) error {
	b, err := l.StationKey()
	if err != nil {
		return err
	}
	f, err := fsutil.CreatePrivate(path)
	if err != nil {
		return err
	}
	_, err = f.Write(b)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return errors.Join(err, os.Remove(path))
	}
	return nil
}

// ParseFilter builds a Filter from what a user types: a family and states
// by name in any case (ParseFamily, ParseState). An unknown name is an
// error that starts with the field: "family: ...", "state: ...".
func ParseFilter(batch, family string, states, serials []string, history bool) (Filter, error) {
	f := Filter{Batch: batch, Serials: serials, History: history}
	if family != "" {
		fam, err := ParseFamily(family)
		if err != nil {
			return f, fmt.Errorf("family: %w", err)
		}
		f.Family = fam
	}
	for _, s := range states {
		st, err := ParseState(s)
		if err != nil {
			return f, fmt.Errorf("state: %w", err)
		}
		f.States = append(f.States, st)
	}
	return f, nil
}
