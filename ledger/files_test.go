package ledger

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/tokenctl/tokenctl/seed"
)

// usage reports whether err declares itself a usage error (tokenctl's
// exit code 2), as the CLI's classifier reads it.
func usage(err error) bool {
	var u interface{ UsageError() bool }
	return errors.As(err, &u) && u.UsageError()
}

// TestErrorKinds: what the caller fixes by asking differently is a usage
// error, wrapped or not; what is wrong with the data is not.
func TestErrorKinds(t *testing.T) {
	t.Parallel()
	for _, err := range []error{ErrLocked, ErrNoAuthKey, ErrLegacy, errors.Join(errors.New("x"), ErrLocked)} {
		if !usage(err) {
			t.Errorf("%v: not a usage error", err)
		}
	}
	for _, err := range []error{ErrNotFound, ErrWrongKey, ErrTampered, ErrUnauthenticated, ErrRolledBack, ErrNotLedger} {
		if usage(err) {
			t.Errorf("%v: a usage error", err)
		}
	}
	if !errors.Is(ErrLocked, ErrLocked) || errors.Is(ErrLocked, ErrNoAuthKey) {
		t.Fatal("sentinels are not distinct")
	}
	_, path, _ := newLedger(t, CreateOptions{})
	locked := openLedger(t, path, nil)
	if err := locked.Export(ctx, Filter{}, nil); !usage(err) {
		t.Fatalf("export from a locked ledger: %v", err)
	}
}

func TestDefaultPath(t *testing.T) {
	if runtime.GOOS == "windows" || runtime.GOOS == "darwin" {
		t.Skip("XDG_DATA_HOME is the Linux and BSD rule")
	}
	t.Setenv("XDG_DATA_HOME", "/data")
	if p, err := DefaultPath(); err != nil || p != filepath.Join("/data", "tokenctl", "tokens.ledger") {
		t.Fatalf("%q %v", p, err)
	}
	t.Setenv("XDG_DATA_HOME", "")
	t.Setenv("HOME", "/home/op")
	if p, err := DefaultPath(); err != nil || p != "/home/op/.local/share/tokenctl/tokens.ledger" {
		t.Fatalf("%q %v", p, err)
	}
	t.Setenv("HOME", "")
	if _, err := DefaultPath(); err == nil {
		t.Fatal("no home, no folder: a path anyway")
	}
	t.Setenv("TOKENCTL_OPERATOR", "carol")
	if o := DefaultOperator(); o != "carol" {
		t.Fatalf("operator %q", o)
	}
}

// TestCreateFiles: the ledger and its identity file are made together or
// not at all; a key is never overwritten nor written over the ledger.
func TestCreateFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	led, key := filepath.Join(dir, "t.ledger"), filepath.Join(dir, "t.age")
	l, err := CreateFiles(ctx, led, key, CreateOptions{Passphrase: []byte("a long passphrase"), ScryptWorkFactor: 10})
	if err != nil {
		t.Fatal(err)
	}
	l.Close()
	for _, p := range []string{led, key} {
		if st, err := os.Stat(p); err != nil || st.Mode().Perm() != 0o600 {
			t.Fatalf("%s: %v %v", p, st, err)
		}
	}
	ids, err := ReadIdentityFile(key)
	if err != nil {
		t.Fatal(err)
	}
	if l, err := OpenFile(ctx, led); err != nil || l.Unlock(ctx, ids...) != nil {
		t.Fatalf("the identity file does not open the ledger: %v", err)
	} else {
		l.Close()
	}

	other := filepath.Join(dir, "other.ledger")
	if _, err := CreateFiles(ctx, other, key, CreateOptions{}); err == nil || usage(err) || !strings.Contains(err.Error(), "not overwriting a key") {
		t.Fatalf("over a key: %v", err)
	}
	if _, err := CreateFiles(ctx, other, other, CreateOptions{}); !usage(err) || !strings.Contains(err.Error(), "must not be the ledger") {
		t.Fatalf("identity file = ledger: %v", err)
	}
	if _, err := CreateFiles(ctx, other, "", CreateOptions{Passphrase: []byte("short")}); !usage(err) || !strings.Contains(err.Error(), "at least 8 characters") {
		t.Fatalf("short passphrase: %v", err)
	}
	// The identity file cannot be written: no ledger either.
	if _, err := CreateFiles(ctx, other, filepath.Join(dir, "no-such-dir", "k.age"), CreateOptions{}); err == nil || !strings.Contains(err.Error(), "ledger not created") {
		t.Fatalf("unwritable identity file: %v", err)
	}
	if m, _ := filepath.Glob(other + "*"); len(m) != 0 {
		t.Fatalf("left behind: %v", m)
	}
}

// TestOpenFileWith: each key opens what it should; the wrong one is named.
func TestOpenFileWith(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	led, key := filepath.Join(dir, "t.ledger"), filepath.Join(dir, "t.age")
	l, err := CreateFiles(ctx, led, key, CreateOptions{Passphrase: []byte("a long passphrase"), ScryptWorkFactor: 10})
	if err != nil {
		t.Fatal(err)
	}
	sk := filepath.Join(dir, "station.key")
	if err := l.WriteStationKey(sk); err != nil {
		t.Fatal(err)
	}
	if err := l.WriteStationKey(sk); err == nil {
		t.Fatal("station key file overwritten")
	}
	if st, err := os.Stat(sk); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("station key: %v %v", st, err)
	}
	l.Close()

	for _, k := range []Keys{{IdentityFiles: []string{key}}, {Passphrase: []byte("a long passphrase")}} {
		l, err := OpenFileWith(ctx, led, k)
		if err != nil || !l.Unlocked() {
			t.Fatalf("%+v: %v", k.IdentityFiles, err)
		}
		l.Close()
	}
	if l, err := OpenFileWith(ctx, led, Keys{StationKeyFile: sk}); err != nil || l.Unlocked() || l.CanWrite() != nil {
		t.Fatalf("station key: %v", err)
	} else {
		l.Close()
	}
	_, err = OpenFileWith(ctx, led, Keys{Passphrase: []byte("not the passphrase")})
	if !errors.Is(err, ErrWrongKey) || !strings.HasPrefix(err.Error(), led+": ") {
		t.Fatalf("wrong passphrase: %v", err)
	}
	_, err = OpenFileWith(ctx, led, Keys{IdentityFiles: []string{filepath.Join(dir, "missing.age")}})
	if err == nil || !strings.HasPrefix(err.Error(), "identity file: ") {
		t.Fatalf("missing identity file: %v", err)
	}
	os.WriteFile(filepath.Join(dir, "bad.key"), []byte("TOKENCTL-STATION-KEY-1 x y\n"), 0o600)
	_, err = OpenFileWith(ctx, led, Keys{StationKeyFile: filepath.Join(dir, "bad.key")})
	if err == nil || !strings.HasPrefix(err.Error(), "station key "+filepath.Join(dir, "bad.key")+": ") {
		t.Fatalf("bad station key: %v", err)
	}
}

func TestParseFilter(t *testing.T) {
	t.Parallel()
	f, err := ParseFilter("box", "YubiKey", []string{"pending", " Failed"}, []string{"S1"}, true)
	if err != nil || f.Batch != "box" || f.Family != YubiKey || len(f.States) != 2 || f.States[1] != Failed || f.Serials[0] != "S1" || !f.History {
		t.Fatalf("%+v %v", f, err)
	}
	if _, err := ParseFilter("", "nokia", nil, nil, false); err == nil || !strings.HasPrefix(err.Error(), "family: unknown family \"nokia\"") {
		t.Fatalf("family: %v", err)
	}
	if _, err := ParseFilter("", "", []string{"pending", "lost"}, nil, false); err == nil || !strings.HasPrefix(err.Error(), "state: unknown state \"lost\"") {
		t.Fatalf("state: %v", err)
	}
}

func TestWarningTexts(t *testing.T) {
	t.Parallel()
	var none *ImportResult
	if w := none.WarningTexts(); w == nil || len(w) != 0 {
		t.Fatalf("%#v", w)
	}
	r := &ImportResult{Warnings: []*seed.FieldError{{File: "v.csv", Line: 3, Field: "model", Msg: "unknown", Warning: true}}}
	if w := r.WarningTexts(); len(w) != 1 || w[0] != "v.csv:3: model: unknown (warning)" {
		t.Fatalf("%q", w)
	}
}
