package ledger

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/tokenctl/tokenctl/internal/secretin"
)

// TestResolvePath: the flag, else $TOKENCTL_LEDGER, else the default
// place only when a ledger is there; none is a usage error naming how to
// give one.
func TestResolvePath(t *testing.T) {
	if runtime.GOOS == "windows" || runtime.GOOS == "darwin" {
		t.Skip("XDG_DATA_HOME is the Linux and BSD rule")
	}
	data := t.TempDir()
	t.Setenv("XDG_DATA_HOME", data)
	t.Setenv("TOKENCTL_LEDGER", "env.ledger")
	if p, err := ResolvePath("given.ledger"); p != "given.ledger" || err != nil {
		t.Fatalf("given: %q %v", p, err)
	}
	if p, err := ResolvePath(""); p != "env.ledger" || err != nil {
		t.Fatalf("env: %q %v", p, err)
	}
	t.Setenv("TOKENCTL_LEDGER", "")
	def := filepath.Join(data, "tokenctl", "tokens.ledger")
	if _, err := ResolvePath(""); !usage(err) || !strings.Contains(err.Error(), "create "+def+" with 'tokenctl ledger init'") {
		t.Fatalf("no ledger: %v", err)
	}
	if _, err := os.Stat(filepath.Dir(def)); err == nil {
		t.Fatal("ResolvePath made the default folder")
	}
	// InitPath makes the default folder, private, and ResolvePath then
	// finds the ledger made there.
	p, err := InitPath("")
	if err != nil || p != def {
		t.Fatalf("init path: %q %v", p, err)
	}
	if st, err := os.Stat(filepath.Dir(def)); err != nil || st.Mode().Perm() != 0o700 {
		t.Fatalf("default folder: %v %v", st, err)
	}
	if p, err := InitPath("x.ledger"); p != "x.ledger" || err != nil {
		t.Fatalf("init path given: %q %v", p, err)
	}
	l, _, err := CreateFile(ctx, def, CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	l.Close()
	if p, err := ResolvePath(""); p != def || err != nil {
		t.Fatalf("default: %q %v", p, err)
	}
}

// TestAccessOpen: what was given wrongly is a usage error, found before
// the passphrase is read; a ledger that does not open is a DataError (not
// a usage error, whatever it wraps); Path is the ledger opened.
func TestAccessOpen(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	led, key := filepath.Join(dir, "t.ledger"), filepath.Join(dir, "t.age")
	l, err := CreateFiles(ctx, led, key, CreateOptions{Passphrase: []byte("a long passphrase"), ScryptWorkFactor: 10})
	if err != nil {
		t.Fatal(err)
	}
	l.Close()
	pass := func(p string) secretin.Source {
		f := filepath.Join(t.TempDir(), "pass")
		if p != "" {
			os.WriteFile(f, []byte(p+"\n"), 0o600)
		}
		return secretin.Source{File: f}
	}
	for _, c := range []struct {
		a    Access
		want string
	}{
		// (the file does not exist: reading it first would be another error)
		{Access{Path: led, Keys: Keys{IdentityFiles: []string{key}}, PassphraseFrom: pass("")}, "not both"},
		{Access{Path: led, Keys: Keys{IdentityFiles: []string{key}, Passphrase: []byte("x")}}, "not both"},
		{Access{Path: led, NeedSecrets: true}, "this needs the ledger's key"},
	} {
		if _, err := c.a.Open(ctx); !usage(err) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v, want a usage error %q", c.a, err, c.want)
		}
	}
	a := Access{Path: led, PassphraseFrom: secretin.Source{Env: "TOKENCTL_TEST_NO_SUCH_VARIABLE"}}
	if _, err := a.Open(ctx); !usage(err) || err.Error() != "passphrase: environment variable TOKENCTL_TEST_NO_SUCH_VARIABLE is not set" {
		t.Fatalf("unreadable passphrase: %v", err)
	}
	a = Access{Path: led, PassphraseFrom: pass("a long passphrase"), NeedSecrets: true}
	if l, err := a.Open(ctx); err != nil || !l.Unlocked() || a.Path != led {
		t.Fatalf("passphrase: %v", err)
	} else {
		l.Close()
	}
	a = Access{Path: led, PassphraseFrom: pass("not the passphrase")}
	_, err = a.Open(ctx)
	var de *DataError
	if !errors.As(err, &de) || !errors.Is(err, ErrWrongKey) || usage(err) {
		t.Fatalf("wrong passphrase: %v", err)
	}
	// A usage error of the store, met opening, is still the data's fault.
	a = Access{Path: led, Keys: Keys{StationKeyFile: filepath.Join(dir, "missing.key")}}
	if _, err := a.Open(ctx); err == nil || usage(err) || !errors.As(err, &de) {
		t.Fatalf("missing station key: %v", err)
	}
	if usage(&DataError{ErrLocked}) || !errors.Is(&DataError{ErrLocked}, ErrLocked) {
		t.Fatal("DataError: not a data error, or loses what it wraps")
	}
}

func TestSelectionFilter(t *testing.T) {
	t.Parallel()
	f, err := Selection{Batch: "b", Family: "YubiKey", Station: "s1", States: []string{"Pending"}, Serials: []string{"1"}, History: true}.Filter()
	if err != nil || f.Batch != "b" || f.Family != YubiKey || f.Station != "s1" || len(f.States) != 1 || f.States[0] != Pending || f.Serials[0] != "1" || !f.History {
		t.Fatalf("%+v %v", f, err)
	}
	if _, err := (Selection{States: []string{"lost"}}).Filter(); err == nil || !strings.HasPrefix(err.Error(), "--state: ") || !usage(err) {
		t.Fatalf("unknown state: %v", err)
	}
}

// TestInit: a key is required, the grants only on PostgreSQL (both
// refused before anything is made); the report describes the ledger.
func TestInit(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	led := filepath.Join(dir, "t.ledger")
	for _, o := range []InitOptions{
		{Path: led},
		{Path: led, IdentityOut: filepath.Join(dir, "k.age"), Grants: true},
	} {
		if _, err := Init(ctx, &o); !usage(err) {
			t.Errorf("%+v: %v, want a usage error", o, err)
		}
		if _, err := os.Stat(led); err == nil {
			t.Fatalf("%+v: ledger made", o)
		}
	}
	pf := filepath.Join(dir, "pass")
	os.WriteFile(pf, []byte("a long passphrase\n"), 0o600)
	o := InitOptions{Path: led, IdentityOut: filepath.Join(dir, "k.age"), PassphraseFrom: secretin.Source{File: pf}}
	c, err := Init(ctx, &o)
	if err != nil {
		t.Fatal(err)
	}
	l, err := OpenFileWith(ctx, led, Keys{IdentityFiles: []string{o.IdentityOut}})
	if err != nil || !l.Unlocked() {
		t.Fatalf("open with the identity written: %v", err)
	}
	defer l.Close()
	want := Created{ID: l.ID(), IdentityFile: o.IdentityOut, Ledger: led, Passphrase: true, Recipient: l.Recipient()}
	if *c != want {
		t.Fatalf("report %+v, want %+v", *c, want)
	}
	if s := c.String(); !strings.HasPrefix(s, "ledger "+led+" created\npublic key: age1") || !strings.Contains(s, "private key: "+o.IdentityOut) || !strings.HasSuffix(s, "under the passphrase\n") {
		t.Fatalf("text %q", s)
	}
	if err := l.Grant(ctx, "a", "b"); !usage(err) {
		t.Fatalf("grant on SQLite: %v", err)
	}
	if err := MigrateSpec(ctx, led); err != nil {
		t.Fatalf("migrate: %v", err)
	}
}
