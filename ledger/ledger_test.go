package ledger

import (
	"bytes"
	"context"
	"encoding/base32"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/tokenctl/tokenctl/seed"
)

var ctx = context.Background()

// newLedger creates a ledger file in a temp dir and returns it unlocked,
// with its path and identity file content.
func newLedger(t testing.TB, o CreateOptions) (*Ledger, string, []byte) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "tokens.ledger")
	if o.ScryptWorkFactor == 0 {
		o.ScryptWorkFactor = 10
	}
	l, idf, err := CreateFile(ctx, path, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l, path, idf
}

func openLedger(t testing.TB, path string, idf []byte) *Ledger {
	t.Helper()
	l, err := OpenFile(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	if idf != nil {
		ids, err := age.ParseIdentities(bytes.NewReader(idf))
		if err != nil {
			t.Fatal(err)
		}
		if err := l.Unlock(ctx, ids...); err != nil {
			t.Fatal(err)
		}
	}
	return l
}

func totp(serial string) *seed.Token {
	s, err := seed.Generate(20)
	if err != nil {
		panic(err)
	}
	return &seed.Token{Serial: serial, Kind: seed.TOTP, Hash: seed.SHA1, Digits: 6, Period: 30, Secret: s, Model: "C202"}
}

func TestCreateOpenPragmas(t *testing.T) {
	l, path, idf := newLedger(t, CreateOptions{})
	if !strings.Contains(string(idf), "AGE-SECRET-KEY-1") || !strings.Contains(string(idf), l.Recipient()) {
		t.Fatalf("identity file lacks key or public key:\n%s", strings.ReplaceAll(string(idf), "AGE-SECRET", "<redacted>"))
	}
	if !strings.HasPrefix(l.Recipient(), "age1") {
		t.Fatalf("recipient %q", l.Recipient())
	}
	db := l.Store().(*SQLite).DB()
	db.SetMaxOpenConns(3)
	// Every connection gets the pragmas, not only the first.
	conns := make([]interface{ Close() error }, 0, 3)
	for i := 0; i < 3; i++ {
		c, err := db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		var jm string
		var sync, busy, fk int
		if err := c.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&jm); err != nil {
			t.Fatal(err)
		}
		c.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&sync)
		c.QueryRowContext(ctx, "PRAGMA busy_timeout").Scan(&busy)
		c.QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&fk)
		if jm != "wal" || sync != 2 || busy != int(BusyTimeout.Milliseconds()) || fk != 1 {
			t.Fatalf("conn %d: journal_mode=%s synchronous=%d busy_timeout=%d foreign_keys=%d", i, jm, sync, busy, fk)
		}
	}
	for _, c := range conns {
		c.Close()
	}
	var v int
	db.QueryRow("SELECT version FROM schema_version").Scan(&v)
	if v != SchemaVersion {
		t.Fatalf("schema version %d", v)
	}
	// A second init of the same file is refused, and so is creating over it.
	if err := l.Store().Init(ctx, map[string]string{"x": "y"}); !errors.Is(err, ErrInitialized) {
		t.Fatalf("second Init: %v", err)
	}
	if _, _, err := CreateFile(ctx, path, CreateOptions{}); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("CreateFile over existing: %v", err)
	}
	// Reopen: same ID and recipient.
	l2 := openLedger(t, path, idf)
	if l2.ID() != l.ID() || l2.Recipient() != l.Recipient() {
		t.Fatal("reopened ledger differs")
	}
	// Not a ledger.
	other := filepath.Join(t.TempDir(), "empty.db")
	os.WriteFile(other, nil, 0o600)
	if _, err := OpenFile(ctx, other); !errors.Is(err, ErrNotLedger) {
		t.Fatalf("empty file: %v", err)
	}
	if _, err := OpenFile(ctx, filepath.Join(t.TempDir(), "missing.db")); err == nil {
		t.Fatal("missing file opened")
	}
}

func TestNewerSchemaRefused(t *testing.T) {
	l, path, _ := newLedger(t, CreateOptions{})
	if _, err := l.Store().(*SQLite).DB().Exec("UPDATE schema_version SET version = 99"); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenFile(ctx, path); err == nil || !strings.Contains(err.Error(), "newer") {
		t.Fatalf("newer schema: %v", err)
	}
}

func TestLifecycle(t *testing.T) {
	l, _, _ := newLedger(t, CreateOptions{})
	tok := totp("86596120001")
	want := append([]byte(nil), tok.Secret...)
	e := Entry{Family: Token2, Batch: "b1", Operator: "alice"}
	r, err := l.Reserve(ctx, tok, e)
	if err != nil {
		t.Fatal(err)
	}
	if r.State != Pending || r.Owner != l.Owner() || r.LeaseUntil.IsZero() || r.ID == 0 {
		t.Fatalf("reserved: %+v", r)
	}
	got, err := l.Get(ctx, tok.Serial)
	if err != nil || got.State != Pending || got.Model != "C202" || got.Batch != "b1" || got.Operator != "alice" {
		t.Fatalf("get: %+v %v", got, err)
	}
	if r, err = l.MarkProgrammed(ctx, r, "alice"); err != nil || r.State != Programmed || r.Programmed.IsZero() || r.Owner != "" {
		t.Fatalf("programmed: %+v %v", r, err)
	}
	// Marking programmed twice is a state error (the claim is gone).
	var se *StateError
	if _, err := l.MarkProgrammed(ctx, r, "alice"); !errors.As(err, &se) {
		t.Fatalf("second MarkProgrammed: %v", err)
	}
	if r, err = l.MarkVerified(ctx, r, "alice"); err != nil || r.State != Verified || r.Verified.IsZero() {
		t.Fatalf("verified: %+v %v", r, err)
	}
	tk, err := l.Token(r)
	if err != nil || !bytes.Equal(tk.Secret, want) || tk.Kind != seed.TOTP || tk.Period != 30 || tk.Model != "C202" {
		t.Fatalf("token: %v %v", tk, err)
	}
	evs, err := l.Events(ctx, tok.Serial)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range evs {
		names = append(names, e.What)
	}
	if strings.Join(names, ",") != "reserved,programmed,verified" {
		t.Fatalf("events %v", names)
	}
	// JSON of a record carries no secret.
	js, _ := r.MarshalJSON()
	for _, enc := range encodings(want) {
		if bytes.Contains(js, []byte(enc)) {
			t.Fatalf("record JSON contains the secret: %s", js)
		}
	}
	if !bytes.Contains(js, []byte(`"kind":"totp"`)) || !bytes.Contains(js, []byte(`"state":"verified"`)) {
		t.Fatalf("record JSON: %s", js)
	}
}

func TestUniqueAndReprogram(t *testing.T) {
	l, _, _ := newLedger(t, CreateOptions{})
	first := totp("1001")
	firstSecret := append([]byte(nil), first.Secret...)
	r1, err := l.Reserve(ctx, first, Entry{Family: Token2, Batch: "b1"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.MarkProgrammed(ctx, r1, ""); err != nil {
		t.Fatal(err)
	}
	var ee *ExistsError
	if _, err := l.Reserve(ctx, totp("1001"), Entry{Family: Token2, Batch: "b2"}); !errors.As(err, &ee) || ee.Records[0].ID != r1.ID {
		t.Fatalf("duplicate reserve: %v", err)
	}
	if !strings.Contains(ee.Error(), "1001") || !strings.Contains(ee.Error(), "programmed") {
		t.Fatalf("message: %v", ee)
	}
	second := totp("1001")
	r2, err := l.Reserve(ctx, second, Entry{Family: Token2, Batch: "b2", Operator: "bob", Reprogram: true})
	if err != nil {
		t.Fatal(err)
	}
	if r2.Replaces != r1.ID {
		t.Fatalf("replaces %d, want %d", r2.Replaces, r1.ID)
	}
	hist, err := l.History(ctx, "1001")
	if err != nil || len(hist) != 2 || hist[0].ReplacedBy != r2.ID || hist[0].Current() || !hist[1].Current() {
		t.Fatalf("history: %v %v", hist, err)
	}
	// The old secret is still readable from history.
	old, err := l.Token(hist[0])
	if err != nil || !bytes.Equal(old.Secret, firstSecret) {
		t.Fatal("old secret lost", err)
	}
	cur, _ := l.Get(ctx, "1001")
	if cur.ID != r2.ID || cur.Batch != "b2" {
		t.Fatalf("current %v", cur)
	}
	evs, _ := l.Events(ctx, "1001")
	var found bool
	for _, e := range evs {
		if e.What == "replaced" && e.RecordID == r1.ID && strings.Contains(e.Detail, fmt.Sprintf("#%d", r2.ID)) && e.Operator == "bob" {
			found = true
		}
	}
	if !found {
		t.Fatalf("no replacement event: %+v", evs)
	}
	// Filter: current only by default.
	var n int
	l.List(ctx, Filter{}, func(*Record) error { n++; return nil })
	if n != 1 {
		t.Fatalf("list current: %d", n)
	}
	n = 0
	l.List(ctx, Filter{History: true}, func(*Record) error { n++; return nil })
	if n != 2 {
		t.Fatalf("list history: %d", n)
	}
}

func TestReprogramRefusesLiveClaim(t *testing.T) {
	l, path, idf := newLedger(t, CreateOptions{})
	if _, err := l.Reserve(ctx, totp("2001"), Entry{Family: Token2}); err != nil {
		t.Fatal(err)
	}
	other := openLedger(t, path, idf)
	var ce *ClaimedError
	if _, err := other.Reserve(ctx, totp("2001"), Entry{Family: Token2, Reprogram: true}); !errors.As(err, &ce) {
		t.Fatalf("reprogram of a live claim: %v", err)
	}
}

func TestResume(t *testing.T) {
	l, path, idf := newLedger(t, CreateOptions{})
	tok := totp("3001")
	want := append([]byte(nil), tok.Secret...)
	r, err := l.Reserve(ctx, tok, Entry{Family: Token2, Batch: "b"})
	if err != nil {
		t.Fatal(err)
	}

	// Another process while the owner lives: refused.
	b := openLedger(t, path, idf)
	var ce *ClaimedError
	if _, _, err := b.PendingFor(ctx, "3001", "op"); !errors.As(err, &ce) {
		t.Fatalf("claimed: %v", err)
	}
	// The owner itself may resume its own record.
	if r2, tk, err := l.PendingFor(ctx, "3001", "op"); err != nil || r2.ID != r.ID || !bytes.Equal(tk.Secret, want) {
		t.Fatalf("own resume: %v", err)
	}
	// After the lease, another host's claim lapses.
	b.Now = func() time.Time { return time.Now().Add(DefaultLease + time.Second) }
	if _, _, err := b.PendingFor(ctx, "3001", "op"); err != nil {
		t.Fatalf("after lease: %v", err)
	}
	// Now b holds it: l lost it and cannot mark it.
	var se *StateError
	if _, err := l.MarkProgrammed(ctx, r, ""); !errors.As(err, &se) {
		t.Fatalf("mark after losing claim: %v", err)
	}

	// Crash: the owner's process (here: its ledger) ends without marking.
	tok2 := totp("3002")
	want2 := append([]byte(nil), tok2.Secret...)
	c := openLedger(t, path, nil)
	if _, err := c.Reserve(ctx, tok2, Entry{Family: Token2}); err != nil {
		t.Fatal(err)
	}
	c.Close()
	r3, tk, err := b.PendingFor(ctx, "3002", "op")
	if err != nil || !bytes.Equal(tk.Secret, want2) || r3.Owner != b.Owner() {
		t.Fatalf("resume after crash: %v", err)
	}
	// Failed records resume too (the token may hold the secret).
	if _, err := b.MarkFailed(ctx, r3, "op", "token removed during seed write"); err != nil {
		t.Fatal(err)
	}
	got, _ := b.Get(ctx, "3002")
	if got.State != Failed || got.Error != "token removed during seed write" {
		t.Fatalf("failed: %+v", got)
	}
	r4, tk, err := b.PendingFor(ctx, "3002", "op")
	if err != nil || r4.State != Pending || r4.Error != "" || !bytes.Equal(tk.Secret, want2) {
		t.Fatalf("resume failed: %v %+v", err, r4)
	}
	if _, err := b.MarkProgrammed(ctx, r4, "op"); err != nil {
		t.Fatal(err)
	}
	// A programmed record is not resumable.
	if _, _, err := b.PendingFor(ctx, "3002", "op"); !errors.As(err, &se) {
		t.Fatalf("resume programmed: %v", err)
	}
	if _, _, err := b.PendingFor(ctx, "9999", "op"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("resume unknown: %v", err)
	}
}

func TestLockedAndKeys(t *testing.T) {
	l, path, idf := newLedger(t, CreateOptions{})
	r, err := l.Reserve(ctx, totp("4001"), Entry{Family: Token2})
	if err != nil {
		t.Fatal(err)
	}
	locked := openLedger(t, path, nil)
	// Recording needs no identity (the station key this machine remembers).
	if _, err := locked.Reserve(ctx, totp("4002"), Entry{Family: Token2}); err != nil {
		t.Fatalf("locked reserve: %v", err)
	}
	if _, err := locked.Token(r); !errors.Is(err, ErrLocked) {
		t.Fatalf("locked token: %v", err)
	}
	if _, _, err := locked.PendingFor(ctx, "4001", ""); !errors.Is(err, ErrLocked) {
		t.Fatalf("locked resume: %v", err)
	}
	if err := locked.Export(ctx, Filter{}, nil); !errors.Is(err, ErrLocked) {
		t.Fatalf("locked export: %v", err)
	}
	wrong, _ := age.GenerateX25519Identity()
	if err := locked.Unlock(ctx, wrong); !errors.Is(err, ErrWrongKey) {
		t.Fatalf("wrong identity: %v", err)
	}
	if err := locked.UnlockPassphrase(ctx, []byte("x")); err == nil || !strings.Contains(err.Error(), "no passphrase") {
		t.Fatalf("passphrase on identity ledger: %v", err)
	}
	ids, _ := age.ParseIdentities(bytes.NewReader(idf))
	if err := locked.Unlock(ctx, ids...); err != nil {
		t.Fatal(err)
	}
	if _, err := locked.Token(r); err != nil {
		t.Fatal(err)
	}
}

func TestPassphrase(t *testing.T) {
	pass := []byte("correct horse battery staple")
	l, path, _ := newLedger(t, CreateOptions{Passphrase: pass})
	tok := totp("5001")
	want := append([]byte(nil), tok.Secret...)
	if _, err := l.Reserve(ctx, tok, Entry{Family: Token2}); err != nil {
		t.Fatal(err)
	}
	o := openLedger(t, path, nil)
	if err := o.UnlockPassphrase(ctx, []byte("wrong")); !errors.Is(err, ErrWrongKey) {
		t.Fatalf("wrong passphrase: %v", err)
	}
	if err := o.UnlockPassphrase(ctx, pass); err != nil {
		t.Fatal(err)
	}
	r, _ := o.Get(ctx, "5001")
	tk, err := o.Token(r)
	if err != nil || !bytes.Equal(tk.Secret, want) {
		t.Fatal("passphrase unlock does not open secrets", err)
	}
	has, _ := o.HasPassphrase(ctx)
	if !has {
		t.Fatal("HasPassphrase false")
	}
}

func TestPostQuantum(t *testing.T) {
	l, path, idf := newLedger(t, CreateOptions{PostQuantum: true})
	if !strings.HasPrefix(l.Recipient(), "age1pq1") {
		t.Fatalf("recipient %q", l.Recipient())
	}
	tok := totp("5501")
	want := append([]byte(nil), tok.Secret...)
	if _, err := l.Reserve(ctx, tok, Entry{Family: Token2}); err != nil {
		t.Fatal(err)
	}
	o := openLedger(t, path, idf)
	r, _ := o.Get(ctx, "5501")
	if tk, err := o.Token(r); err != nil || !bytes.Equal(tk.Secret, want) {
		t.Fatal(err)
	}
}

func TestTamperedRowDetected(t *testing.T) {
	l, _, _ := newLedger(t, CreateOptions{})
	a, _ := l.Reserve(ctx, totp("6001"), Entry{Family: Token2})
	b, _ := l.Reserve(ctx, totp("6002"), Entry{Family: Token2})
	db := l.Store().(*SQLite).DB()
	// Swap the sealed secrets of the two rows.
	if _, err := db.Exec(`UPDATE tokens SET secret = (SELECT secret FROM tokens WHERE id = ?) WHERE id = ?`, b.ID, a.ID); err != nil {
		t.Fatal(err)
	}
	ra, _ := l.Get(ctx, "6001")
	if _, err := l.Token(ra); !errors.Is(err, ErrUnauthenticated) {
		t.Fatalf("moved ciphertext: %v", err)
	}
	if _, err := db.Exec(`UPDATE tokens SET secret = x'00' WHERE id = ?`, b.ID); err != nil {
		t.Fatal(err)
	}
	rb, _ := l.Get(ctx, "6002")
	if _, err := l.Token(rb); err == nil {
		t.Fatal("garbage ciphertext opened")
	}
}

func TestBadInput(t *testing.T) {
	l, _, _ := newLedger(t, CreateOptions{})
	for _, s := range []string{"", " 12", strings.Repeat("1", 129), "12\n3"} {
		if _, err := l.Reserve(ctx, totp(s), Entry{Family: Token2}); err == nil {
			t.Errorf("serial %q accepted", s)
		}
	}
	if _, err := l.Reserve(ctx, &seed.Token{Serial: "1"}, Entry{Family: Token2}); err == nil {
		t.Error("empty secret accepted")
	}
	if _, err := l.Reserve(ctx, totp("2"), Entry{}); err == nil {
		t.Error("no family accepted")
	}
}

// encodings lists the ways a secret could show up in a file.
func encodings(b []byte) []string {
	h := hex.EncodeToString(b)
	b32 := base32.StdEncoding.EncodeToString(b)
	out := []string{
		string(b), h, strings.ToUpper(h),
		b32, strings.TrimRight(b32, "="), strings.ToLower(strings.TrimRight(b32, "=")),
		base64.StdEncoding.EncodeToString(b), base64.RawStdEncoding.EncodeToString(b),
		base64.RawURLEncoding.EncodeToString(b),
	}
	return out
}

// TestFileRevealsNoSecret writes many tokens and searches the ledger file
// and its WAL companions for every secret in every encoding, while the
// ledger is open (WAL not yet checkpointed) and after it is closed.
func TestFileRevealsNoSecret(t *testing.T) {
	l, path, idf := newLedger(t, CreateOptions{Passphrase: []byte("pass phrase")})
	var secrets [][]byte
	for i := 0; i < 60; i++ {
		tok := totp(fmt.Sprintf("7%05d", i))
		if i%3 == 0 {
			tok.Kind, tok.PrivateID = seed.YubicoOTP, []byte{1, 2, 3, 4, 5, byte(i)}
			tok.Secret = tok.Secret[:16]
			secrets = append(secrets, append([]byte(nil), tok.PrivateID...))
		}
		secrets = append(secrets, append([]byte(nil), tok.Secret...))
		r, err := l.Reserve(ctx, tok, Entry{Family: Token2, Batch: "leak", AccessCode: []byte{0xAC, 0xCE, 0x55, 0xC0, 0xDE, byte(i)}})
		if err != nil {
			t.Fatal(err)
		}
		if i%2 == 0 {
			if _, err := l.MarkProgrammed(ctx, r, ""); err != nil {
				t.Fatal(err)
			}
		}
	}
	// The ledger's own private key must not be there either.
	var idLine string
	for _, ln := range strings.Split(string(idf), "\n") {
		if strings.HasPrefix(ln, "AGE-SECRET-KEY-") {
			idLine = ln
		}
	}
	check := func(when string) {
		n := 0
		for _, suffix := range []string{"", "-wal", "-shm"} {
			b, err := os.ReadFile(path + suffix)
			if errors.Is(err, os.ErrNotExist) && suffix != "" {
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			st, _ := os.Stat(path + suffix)
			if st.Mode().Perm() != 0o600 {
				t.Errorf("%s%s: mode %o, want 600", filepath.Base(path), suffix, st.Mode().Perm())
			}
			n += len(b)
			for i, s := range secrets {
				for _, enc := range encodings(s) {
					if bytes.Contains(b, []byte(enc)) {
						t.Fatalf("%s: %s%s contains secret %d as %q-like text", when, filepath.Base(path), suffix, i, "encoded")
					}
				}
			}
			if bytes.Contains(bytes.ToUpper(b), []byte(idLine)) || bytes.Contains(b, []byte("pass phrase")) {
				t.Fatalf("%s: %s%s contains the ledger key or passphrase", when, filepath.Base(path), suffix)
			}
		}
		if n < 10000 {
			t.Fatalf("%s: only %d bytes searched", when, n)
		}
	}
	if _, err := os.Stat(path + "-wal"); err != nil {
		t.Fatalf("no WAL while open: %v", err)
	}
	check("open")
	l.Close()
	check("closed")
	// The test would notice a leak: a plaintext copy is found.
	o := openLedger(t, path, idf)
	o.Store().(*SQLite).DB().Exec(`INSERT INTO meta (key, value) VALUES ('leak', ?)`, strings.ToLower(hex.EncodeToString(secrets[5])))
	b, _ := os.ReadFile(path + "-wal")
	if !bytes.Contains(b, []byte(hex.EncodeToString(secrets[5]))) {
		t.Fatal("search does not see a deliberate plaintext leak")
	}
}

func TestPayloadRoundTrip(t *testing.T) {
	p := &payload{LedgerID: "id", Serial: "s", Secret: []byte{1, 2}, PrivateID: nil, AccessCode: []byte{9}}
	q, err := unmarshalPayload(p.marshal())
	if err != nil || q.LedgerID != "id" || q.Serial != "s" || !bytes.Equal(q.Secret, []byte{1, 2}) || len(q.PrivateID) != 0 || !bytes.Equal(q.AccessCode, []byte{9}) {
		t.Fatalf("%+v %v", q, err)
	}
	b := p.marshal()
	for i := range b {
		if _, err := unmarshalPayload(b[:i]); err == nil {
			t.Fatalf("truncated payload (%d of %d bytes) accepted", i, len(b))
		}
	}
	if _, err := unmarshalPayload(append(b, 0)); err == nil {
		t.Fatal("trailing byte accepted")
	}
	// The same payload with its first length (2, one byte) spelled in two
	// bytes (0x82 0x00): a second encoding of one record, refused.
	long := append([]byte(sealMagic), 0x82, 0x00)
	long = append(long, b[len(sealMagic)+1:]...)
	if _, err := unmarshalPayload(long); err == nil {
		t.Fatal("non-minimal length accepted")
	}
}

func FuzzUnmarshalPayload(f *testing.F) {
	f.Add((&payload{LedgerID: "x", Serial: "123", Secret: []byte("abc")}).marshal())
	f.Add([]byte(sealMagic + "\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01"))
	f.Add([]byte(sealMagic + "\x81\x00x\x00\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := unmarshalPayload(b)
		if err != nil {
			return
		}
		if !bytes.Equal(p.marshal(), b) {
			t.Fatal("payload does not re-encode to the same bytes")
		}
	})
}

func TestAccessCodeSealed(t *testing.T) {
	l, path, _ := newLedger(t, CreateOptions{})
	tok := totp("AC1")
	tok.SetLabel(LabelAccessCode, "a1b2c3d4e5f6")
	tok.SetLabel("current_access_code", "0102030405ff")
	tok.SetLabel("upn", "alice@example.com")
	r, err := l.Reserve(ctx, tok, Entry{Family: YubiKey})
	if err != nil {
		t.Fatal(err)
	}
	if r.Labels[LabelAccessCode] != "" || r.Labels["current_access_code"] != "" || r.Labels["upn"] != "alice@example.com" {
		t.Fatalf("labels kept in plain text: %v", r.Labels)
	}
	got, _ := l.Get(ctx, "AC1")
	tk, err := l.Token(got)
	if err != nil || tk.Label(LabelAccessCode) != "a1b2c3d4e5f6" || tk.Label("upn") != "alice@example.com" {
		t.Fatalf("%v %v", tk.Labels, err)
	}
	if ac, err := l.AccessCode(got); err != nil || hex.EncodeToString(ac) != "a1b2c3d4e5f6" {
		t.Fatalf("%x %v", ac, err)
	}
	l.Close()
	for _, suffix := range []string{"", "-wal"} {
		b, _ := os.ReadFile(path + suffix)
		for _, s := range []string{"a1b2c3d4e5f6", "A1B2C3D4E5F6", "0102030405ff", "\xa1\xb2\xc3\xd4\xe5\xf6"} {
			if bytes.Contains(b, []byte(s)) {
				t.Fatalf("access code in the ledger file%s", suffix)
			}
		}
	}
	bad := totp("AC2")
	bad.SetLabel(LabelAccessCode, "xyz")
	o := openLedger(t, path, nil)
	if _, err := o.Reserve(ctx, bad, Entry{Family: YubiKey}); err == nil || strings.Contains(err.Error(), "xyz") {
		t.Fatalf("bad access code: %v", err)
	}
}
