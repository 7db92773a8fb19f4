package ledger

import (
	"bytes"
	"errors"
	"io"
	"os"
	"strings"
	"testing"

	"filippo.io/age"
)

// The attacks of a writer who holds no key: full write access to the
// ledger file (SQL on it, or a copy put back), neither the age identity nor
// the authentication key. Each is refused.

// attackerRecipient is a key the attacker holds.
func attackerRecipient(t *testing.T) (*age.X25519Identity, string) {
	t.Helper()
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	return id, id.Recipient().String()
}

// TestSwappedRecipientRefused: the recipient in the file replaced by the
// attacker's: opening the ledger fails before any seed can be sealed.
func TestSwappedRecipientRefused(t *testing.T) {
	l, path, _ := newLedger(t, CreateOptions{})
	_, theirs := attackerRecipient(t)
	if _, err := l.Store().(*SQLite).DB().Exec(`UPDATE meta SET value = ? WHERE key = 'recipient'`, theirs); err != nil {
		t.Fatal(err)
	}
	l2, err := OpenFile(ctx, path)
	if err == nil {
		l2.Close()
		t.Fatal("a ledger with a swapped recipient opened")
	}
	if !errors.Is(err, ErrUnauthenticated) {
		t.Fatalf("err = %v", err)
	}
}

// TestPlantedRecordRefused: a record the attacker inserts, sealed to the
// ledger's own recipient (public) with a seed of their choice, is refused
// by export and by resume: nothing exported, nothing handed to a burn.
func TestPlantedRecordRefused(t *testing.T) {
	l, path, idf := newLedger(t, CreateOptions{})
	if _, err := l.Reserve(ctx, totp("7001"), Entry{Family: Token2}); err != nil {
		t.Fatal(err)
	}
	// The attacker builds a record the way tokenctl would, with the public
	// recipient, but without the authentication key: a Ledger of theirs
	// that knows the recipient only.
	chosen := totp("7002")
	chosen.Secret = []byte("attacker-chosen-seed")
	fake := &Ledger{id: l.id, recipient: l.recipient, Now: l.Now}
	r, err := fake.newRecord(chosen, Entry{Family: Token2}, Pending)
	if err != nil {
		t.Fatal(err)
	}
	r.Auth = bytes.Repeat([]byte{1}, 32) // a guess
	if err := l.Store().Insert(ctx, []*Record{r}, InsertOptions{Event: "planted"}); err != nil {
		t.Fatal(err)
	}
	o := openLedger(t, path, idf)
	rec, err := o.Get(ctx, "7002")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := o.Token(rec); !errors.Is(err, ErrUnauthenticated) || !strings.Contains(err.Error(), "7002") {
		t.Fatalf("token of the planted record: %v", err)
	}
	if _, _, err := o.PendingFor(ctx, "7002", "op"); !errors.Is(err, ErrUnauthenticated) {
		t.Fatalf("resume of the planted record: %v", err)
	}
	if _, _, err := o.Reader(ctx, Filter{}); !errors.Is(err, ErrUnauthenticated) {
		t.Fatalf("export with a planted record: %v", err)
	}
	var bad []string
	if _, err := o.Verify(ctx, func(r *Record, err error) { bad = append(bad, r.Serial) }); err == nil || len(bad) != 1 || bad[0] != "7002" {
		t.Fatalf("verify: %v, bad %v", err, bad)
	}
}

// TestEditedColumnsRefused: each plain column the attacker edits (period,
// digits, hash, state, serial, user) makes the record fail authentication.
func TestEditedColumnsRefused(t *testing.T) {
	for _, edit := range []string{
		`period = 60`, `digits = 8`, `hash = 'sha256'`, `state = 'pending'`, `serial = '8009'`, `assigned_user = 'mallory'`,
		`counter = 5`, `params = '{"labels":{"x":"y"}}'`,
	} {
		l, _, idf := newLedger(t, CreateOptions{})
		r, err := l.Reserve(ctx, totp("8001"), Entry{Family: Token2})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := l.MarkProgrammed(ctx, r, "op"); err != nil {
			t.Fatal(err)
		}
		if _, err := l.Store().(*SQLite).DB().Exec(`UPDATE tokens SET `+edit+` WHERE id = ?`, r.ID); err != nil {
			t.Fatal(err)
		}
		ids, _ := age.ParseIdentities(bytes.NewReader(idf))
		l.Unlock(ctx, ids...)
		var n int
		l.List(ctx, Filter{History: true}, func(x *Record) error {
			n++
			if err := l.Authentic(x); !errors.Is(err, ErrUnauthenticated) {
				t.Errorf("%s: %v", edit, err)
			}
			return nil
		})
		if n != 1 {
			t.Errorf("%s: %d records", edit, n)
		}
	}
}

// TestRollbackRefused: the ledger file put back to an older copy is
// refused by the machine that saw the newer one.
func TestRollbackRefused(t *testing.T) {
	l, path, idf := newLedger(t, CreateOptions{})
	if _, err := l.Reserve(ctx, totp("9001"), Entry{Family: Token2}); err != nil {
		t.Fatal(err)
	}
	l.Close()
	old := copyFile(t, path)
	o := openLedger(t, path, idf)
	if _, err := o.Reserve(ctx, totp("9002"), Entry{Family: Token2}); err != nil {
		t.Fatal(err)
	}
	o.Close()
	restore(t, old, path)
	l3, err := OpenFile(ctx, path)
	if err == nil {
		l3.Close()
		t.Fatal("a rolled-back ledger opened")
	}
	if !errors.Is(err, ErrRolledBack) {
		t.Fatalf("err = %v", err)
	}
}

// TestLegacyLedgerNeedsUpgrade: a ledger without authentication is read by
// nobody and written by nobody until its key holder upgrades it; then it
// reads and writes as any other.
func TestLegacyLedgerNeedsUpgrade(t *testing.T) {
	l, path, idf := newLedger(t, CreateOptions{})
	if _, err := l.Reserve(ctx, totp("5001"), Entry{Family: Token2}); err != nil {
		t.Fatal(err)
	}
	db := l.Store().(*SQLite).DB()
	db.Exec(`DELETE FROM meta WHERE key IN ('auth_mac', 'auth_key')`)
	db.Exec(`UPDATE tokens SET params = '{}'`)
	l.Close()
	o := openLedger(t, path, idf)
	rec, _ := o.Get(ctx, "5001")
	if _, err := o.Token(rec); !errors.Is(err, ErrLegacy) {
		t.Fatalf("token of a legacy ledger: %v", err)
	}
	if _, err := o.Reserve(ctx, totp("5002"), Entry{Family: Token2}); !errors.Is(err, ErrLegacy) {
		t.Fatalf("reserve in a legacy ledger: %v", err)
	}
	n, err := o.Upgrade(ctx, "op")
	if err != nil || n != 1 {
		t.Fatalf("upgrade: %d, %v", n, err)
	}
	rec, _ = o.Get(ctx, "5001")
	tok, err := o.Token(rec)
	if err != nil || len(tok.Secret) != 20 {
		t.Fatalf("after upgrade: %v", err)
	}
	if _, err := o.Reserve(ctx, totp("5002"), Entry{Family: Token2}); err != nil {
		t.Fatal(err)
	}
}

func copyFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, ext := range []string{"-wal", "-shm"} {
		if _, err := os.Stat(path + ext); err == nil {
			t.Fatalf("%s%s left after close", path, ext)
		}
	}
	return b
}

func restore(t *testing.T, b []byte, path string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_TRUNC, 0)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(f, bytes.NewReader(b))
	f.Close()
}
