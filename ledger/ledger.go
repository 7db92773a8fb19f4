package ledger

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"time"

	"filippo.io/age"

	"github.com/tokenctl/tokenctl/seed"
)

// DefaultLease is how long a pending claim holds against other processes
// that cannot tell whether its owner is still alive (another host).
const DefaultLease = 2 * time.Minute

// Ledger is an open ledger: a Store plus the key material to seal secrets
// (always) and to open them (once unlocked).
type Ledger struct {
	s         Store
	id        string
	recipient age.Recipient
	recString string
	ids       []age.Identity
	owner     string
	auth      []byte // the authentication key (nil: not known here)
	legacy    bool   // written before records were authenticated
	// the newest record this process wrote, remembered at Close
	wroteID, wroteUpd int64

	// Lease is how long a Reserve or PendingFor claim holds against
	// processes that cannot see the owner (default DefaultLease).
	Lease time.Duration
	// Now is the clock (tests).
	Now func() time.Time
	// Station names this provisioning station in the records it makes
	// and resumes (default: the host name).
	Station string
}

// CreateOptions choose how the ledger's key is kept.
type CreateOptions struct {
	// Passphrase, when set, wraps the ledger's identity inside the ledger
	// with age's scrypt recipient, so the passphrase alone unlocks it.
	// Without it, the identity exists only in the identity file the
	// caller writes from Create's result.
	Passphrase []byte
	// ScryptWorkFactor is log2 of scrypt's N (0: age's default, 18).
	ScryptWorkFactor int
	// PostQuantum makes an ML-KEM-768+X25519 hybrid key instead of X25519.
	PostQuantum bool
}

// Create initialises a ledger in s. It returns the open ledger (unlocked)
// and the identity file content: the caller must write it (0600) where the
// operator keeps keys, apart from the ledger, unless a passphrase was given
// and the caller chooses not to keep a file at all.
func Create(ctx context.Context, s Store, o CreateOptions) (*Ledger, []byte, error) {
	id, secret, rcpt, err := newIdentity(o.PostQuantum)
	if err != nil {
		return nil, nil, fmt.Errorf("generating the ledger key: %w", err)
	}
	r, err := parseRecipient(rcpt)
	if err != nil {
		return nil, nil, err
	}
	now := time.Now()
	meta := map[string]string{
		metaID:        randomID(),
		metaCreated:   now.UTC().Format(time.RFC3339),
		metaRecipient: rcpt,
	}
	canary := make([]byte, 16)
	if _, err := io.ReadFull(randReader, canary); err != nil {
		return nil, nil, err
	}
	if meta[metaCheck], err = encryptArmored(canary, r); err != nil {
		return nil, nil, err
	}
	authKey := make([]byte, authKeyLen)
	if _, err := io.ReadFull(randReader, authKey); err != nil {
		return nil, nil, err
	}
	if meta[metaAuthSealed], err = encryptArmored(authKey, r); err != nil {
		return nil, nil, err
	}
	if len(o.Passphrase) > 0 {
		sr, err := age.NewScryptRecipient(string(o.Passphrase))
		if err != nil {
			return nil, nil, fmt.Errorf("passphrase: %w", err)
		}
		if o.ScryptWorkFactor > 0 {
			sr.SetWorkFactor(o.ScryptWorkFactor)
		}
		if meta[metaWrapped], err = encryptArmored([]byte(secret), sr); err != nil {
			return nil, nil, fmt.Errorf("wrapping the ledger key: %w", err)
		}
	}
	meta[metaAuthMAC] = hex.EncodeToString(metaMAC(authKey, meta))
	if err := s.Init(ctx, meta); err != nil {
		return nil, nil, err
	}
	l, err := Open(ctx, s)
	if err != nil {
		return nil, nil, err
	}
	l.ids = []age.Identity{id}
	if err := l.useAuthKey(meta, authKey); err != nil {
		return nil, nil, err
	}
	if err := l.remember(0, 0); err != nil {
		return nil, nil, fmt.Errorf("remembering the ledger's key: %w", err)
	}
	return l, identityFile(secret, rcpt, now), nil
}

// Open opens the ledger in s, locked: it can record new tokens (sealing to
// the ledger's public key needs no secret) but not reveal any until
// Unlock or UnlockPassphrase.
func Open(ctx context.Context, s Store) (*Ledger, error) {
	meta, err := s.Meta(ctx)
	if err != nil {
		return nil, err
	}
	if meta[metaID] == "" || meta[metaRecipient] == "" {
		return nil, ErrNotLedger
	}
	r, err := parseRecipient(meta[metaRecipient])
	if err != nil {
		return nil, err
	}
	l := &Ledger{s: s, id: meta[metaID], recipient: r, recString: meta[metaRecipient], owner: newOwner(),
		Lease: DefaultLease, Now: time.Now, legacy: meta[metaAuthMAC] == "", Station: hostname()}
	if l.legacy {
		return l, nil
	}
	k, err := loadKnown(l.id)
	if err != nil {
		return nil, err
	}
	if k != nil {
		// A swapped recipient or setting is refused here, before any
		// secret is sealed to it.
		if err := l.useAuthKey(meta, k.Key); err != nil {
			return nil, err
		}
		if err := l.checkOpenHead(ctx); err != nil {
			return nil, err
		}
	}
	return l, nil
}

// checkOpenHead refuses, at open, a ledger older than this machine saw.
func (l *Ledger) checkOpenHead(ctx context.Context) error {
	var h Head
	err := l.s.List(ctx, Filter{}, func(r *Record) error {
		h.MaxID = max(h.MaxID, r.ID)
		if !r.Updated.IsZero() {
			h.Updated = max(h.Updated, r.Updated.UnixNano())
		}
		return nil
	})
	if err != nil {
		return err
	}
	return l.checkHead(h)
}

// wrote notes r as written by this process (remembered at Close).
func (l *Ledger) wrote(r *Record) {
	l.wroteID = max(l.wroteID, r.ID)
	if !r.Updated.IsZero() {
		l.wroteUpd = max(l.wroteUpd, r.Updated.UnixNano())
	}
}

// OpenFile opens the SQLite ledger at path (see Open).
func OpenFile(ctx context.Context, path string) (*Ledger, error) {
	s, err := OpenSQLite(path, false)
	if err != nil {
		return nil, err
	}
	l, err := Open(ctx, s)
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return l, nil
}

// CreateFile creates a SQLite ledger at path, which must not exist (see
// Create). On failure the half-made file is removed.
func CreateFile(ctx context.Context, path string, o CreateOptions) (*Ledger, []byte, error) {
	s, err := OpenSQLite(path, true)
	if err != nil {
		return nil, nil, err
	}
	l, idf, err := Create(ctx, s, o)
	if err != nil {
		s.Close()
		removeLedgerFiles(path)
		return nil, nil, err
	}
	return l, idf, nil
}

// Close releases the store.
func (l *Ledger) Close() error {
	releaseOwner(l.owner)
	if l.wroteID > 0 {
		l.remember(l.wroteID, l.wroteUpd)
	}
	return l.s.Close()
}

// Store returns the ledger's store.
func (l *Ledger) Store() Store { return l.s }

// ID is the ledger's random identifier.
func (l *Ledger) ID() string { return l.id }

// Recipient is the age public key secrets are sealed to.
func (l *Ledger) Recipient() string { return l.recString }

// Owner names this process's claims on pending records.
func (l *Ledger) Owner() string { return l.owner }

// Unlocked reports whether secrets can be opened.
func (l *Ledger) Unlocked() bool { return len(l.ids) > 0 }

// HasPassphrase reports whether the ledger's identity is also wrapped
// under a passphrase.
func (l *Ledger) HasPassphrase(ctx context.Context) (bool, error) {
	meta, err := l.s.Meta(ctx)
	return meta[metaWrapped] != "", err
}

// Unlock checks that ids open this ledger and keeps them for reading
// secrets. It returns ErrWrongKey when none does.
func (l *Ledger) Unlock(ctx context.Context, ids ...age.Identity) error {
	ok := false
	for _, id := range ids {
		if recipientOf(id) == l.recString {
			ok = true
		}
	}
	meta, err := l.s.Meta(ctx)
	if err != nil {
		return err
	}
	if !ok {
		return ErrWrongKey
	}
	if _, err := decryptArmored(meta[metaCheck], ids...); err != nil {
		return ErrWrongKey
	}
	if !l.legacy && l.auth == nil {
		// The key holder recovers the authentication key from the
		// metadata, checks the metadata with it, and remembers it.
		k, err := decryptArmored(meta[metaAuthSealed], ids...)
		if err != nil {
			return fmt.Errorf("the ledger's authentication key: %w", ErrUnauthenticated)
		}
		if err := l.useAuthKey(meta, k); err != nil {
			return err
		}
		if err := l.remember(0, 0); err != nil {
			return err
		}
		if err := l.checkOpenHead(ctx); err != nil {
			return err
		}
	}
	l.ids = ids
	return nil
}

// UnlockPassphrase opens the identity wrapped in the ledger with the
// passphrase (one scrypt derivation, about a second by design).
func (l *Ledger) UnlockPassphrase(ctx context.Context, pass []byte) error {
	meta, err := l.s.Meta(ctx)
	if err != nil {
		return err
	}
	if meta[metaWrapped] == "" {
		return errors.New("this ledger has no passphrase: use its identity file")
	}
	si, err := age.NewScryptIdentity(string(pass))
	if err != nil {
		return err
	}
	b, err := decryptArmored(meta[metaWrapped], si)
	if err != nil {
		return ErrWrongKey
	}
	defer seed.Zero(b)
	id, err := age.ParseIdentities(bytesReader(b))
	if err != nil || len(id) != 1 {
		return fmt.Errorf("ledger metadata: wrapped identity is malformed")
	}
	return l.Unlock(ctx, id...)
}

// LabelAccessCode is the token label (12 hex digits) that carries a
// YubiKey access code in memory, as the Yubico log formats use it. The
// ledger seals it with the secret and strips it (and the current access
// code label) from the plain-text parameters; Token puts it back.
const LabelAccessCode = "access_code"

// secretLabels never reach the store in plain text.
var secretLabels = map[string]bool{LabelAccessCode: true, "current_access_code": true}

// Entry says where a token being recorded comes from.
type Entry struct {
	Family   Family
	Model    string
	Slot     int
	Batch    string
	Operator string
	User     string
	// Reprogram replaces a current record of the same serial (kept in
	// the history as replaced) instead of refusing it.
	Reprogram bool
	// AccessCode is a YubiKey access code set with the secret, sealed
	// along with it (default: the token's LabelAccessCode).
	AccessCode []byte
	// Manufacturer and ModelFill fill imported tokens that name none
	// (--manufacturer, --model of ledger import).
	Manufacturer, ModelFill string
}

func (l *Ledger) newRecord(tok *seed.Token, e Entry, st State) (*Record, error) {
	if err := CheckSerial(tok.Serial); err != nil {
		return nil, err
	}
	if len(tok.Secret) == 0 {
		return nil, fmt.Errorf("serial %s: no secret", tok.Serial)
	}
	if e.Family == "" {
		return nil, fmt.Errorf("serial %s: no device family", tok.Serial)
	}
	now := l.Now()
	r := &Record{
		Serial: tok.Serial, Family: e.Family, Model: e.Model,
		Kind: tok.Kind, Hash: tok.Hash, Digits: tok.Digits, Period: tok.Period, Counter: tok.Counter, Slot: e.Slot,
		Manufacturer: tok.Manufacturer, Issuer: tok.Issuer, PublicID: append([]byte(nil), tok.PublicID...),
		State: st, Batch: e.Batch, Operator: e.Operator, User: e.User, Station: l.Station,
		Created: now, Updated: now,
	}
	if r.Model == "" {
		r.Model = tok.Model
	}
	if r.User == "" {
		r.User = tok.User
	}
	access := e.AccessCode
	if len(tok.Labels) > 0 {
		r.Labels = make(map[string]string, len(tok.Labels))
		for k, v := range tok.Labels {
			if secretLabels[k] {
				continue // sealed below, never kept in plain text
			}
			r.Labels[k] = v
		}
		if a := tok.Label(LabelAccessCode); a != "" && access == nil {
			b, err := hex.DecodeString(a)
			if err != nil || len(b) != 6 {
				return nil, fmt.Errorf("serial %s: access code must be 12 hex digits", tok.Serial)
			}
			defer seed.Zero(b)
			access = b
		}
	}
	p := &payload{LedgerID: l.id, Serial: tok.Serial, Secret: tok.Secret, PrivateID: tok.PrivateID, AccessCode: access}
	var err error
	if r.Sealed, err = seal(p, l.recipient); err != nil {
		return nil, err
	}
	return r, nil
}

// claimable reports why r cannot be taken over by this process, or nil.
func (l *Ledger) claimable(r *Record) error {
	if r.State != Pending || r.Owner == "" || r.Owner == l.owner {
		return nil
	}
	if l.Now().After(r.LeaseUntil) || ownerGone(r.Owner) {
		return nil
	}
	return &ClaimedError{Record: r}
}

// Reserve records tok as pending, durably (committed and fsync'd) before it
// returns: call it before the first write to the device. The record is
// claimed by this process until MarkProgrammed or MarkFailed. A serial
// already recorded is refused with *ExistsError unless e.Reprogram; even
// then a pending record that another live process holds is refused with
// *ClaimedError.
func (l *Ledger) Reserve(ctx context.Context, tok *seed.Token, e Entry) (*Record, error) {
	if err := l.canWrite(); err != nil {
		return nil, err
	}
	r, err := l.newRecord(tok, e, Pending)
	if err != nil {
		return nil, err
	}
	r.Owner, r.LeaseUntil = l.owner, l.Now().Add(l.Lease)
	l.sign(r)
	o := InsertOptions{Event: "reserved", Operator: e.Operator, At: r.Created, Detail: "batch " + e.Batch}
	if e.Reprogram {
		o.Replace, o.MayReplace, o.Event = true, l.claimable, "reserved (reprogram)"
	}
	if err := l.s.Insert(ctx, []*Record{r}, o); err != nil {
		return nil, err
	}
	l.wrote(r)
	return r, nil
}

// PendingFor takes over serial's pending (or failed) record for a re-burn
// and returns it with its token, secret included: the secret the device
// may already hold, so writing it again is idempotent. It needs the ledger
// unlocked. A record held by another live process gives *ClaimedError; a
// record in another state, *StateError; no record, ErrNotFound.
func (l *Ledger) PendingFor(ctx context.Context, serial, operator string) (*Record, *seed.Token, error) {
	if !l.Unlocked() {
		return nil, nil, ErrLocked
	}
	cur, err := l.s.Current(ctx, serial)
	if err != nil {
		return nil, nil, err
	}
	// Check the secret opens before claiming the record.
	tok, err := l.Token(cur)
	if err != nil {
		return nil, nil, err
	}
	now := l.Now()
	r, err := l.update(ctx, cur.ID, Event{What: "resumed", Operator: operator, At: now}, func(r *Record) error {
		if r.State != Pending && r.State != Failed {
			return &StateError{Record: r, Op: "resume"}
		}
		if !r.Current() {
			return &StateError{Record: r, Op: "resume replaced"}
		}
		if err := l.claimable(r); err != nil {
			return err
		}
		r.State, r.Owner, r.LeaseUntil, r.Error, r.Station = Pending, l.owner, now.Add(l.Lease), "", l.Station
		return nil
	})
	if err != nil {
		tok.Wipe()
		return nil, nil, err
	}
	return r, tok, nil
}

// MarkProgrammed records that the device confirmed the write of r, which
// this process must hold (Reserve or PendingFor).
func (l *Ledger) MarkProgrammed(ctx context.Context, r *Record, operator string) (*Record, error) {
	now := l.Now()
	return l.update(ctx, r.ID, Event{What: "programmed", Operator: operator, At: now}, func(x *Record) error {
		if x.State != Pending || x.Owner != l.owner || !x.Current() {
			return &StateError{Record: x, Op: "mark programmed"}
		}
		x.State, x.Programmed, x.Owner, x.LeaseUntil = Programmed, now, "", time.Time{}
		return nil
	})
}

// MarkVerified records that a code from the token matched.
func (l *Ledger) MarkVerified(ctx context.Context, r *Record, operator string) (*Record, error) {
	now := l.Now()
	return l.update(ctx, r.ID, Event{What: "verified", Operator: operator, At: now}, func(x *Record) error {
		if x.State != Programmed && x.State != Verified || !x.Current() {
			return &StateError{Record: x, Op: "mark verified"}
		}
		x.State, x.Verified = Verified, now
		return nil
	})
}

// MarkFailed records that writing (or verifying) r failed, and why. The
// secret stays: the device may hold it, and a later attempt re-burns it
// (PendingFor). reason must not contain secrets.
func (l *Ledger) MarkFailed(ctx context.Context, r *Record, operator, reason string) (*Record, error) {
	now := l.Now()
	return l.update(ctx, r.ID, Event{What: "failed", Operator: operator, At: now, Detail: reason}, func(x *Record) error {
		switch {
		case !x.Current():
			return &StateError{Record: x, Op: "mark failed"}
		case x.State == Pending && x.Owner == l.owner, x.State == Programmed:
		default:
			return &StateError{Record: x, Op: "mark failed"}
		}
		x.State, x.Error, x.Owner, x.LeaseUntil = Failed, reason, "", time.Time{}
		return nil
	})
}

// Assign sets the user a token is given to.
func (l *Ledger) Assign(ctx context.Context, serial, user, operator string) (*Record, error) {
	cur, err := l.s.Current(ctx, serial)
	if err != nil {
		return nil, err
	}
	return l.update(ctx, cur.ID, Event{What: "assigned", Operator: operator, Detail: user, At: l.Now()}, func(x *Record) error {
		x.User = user
		return nil
	})
}

// Get returns serial's current record.
func (l *Ledger) Get(ctx context.Context, serial string) (*Record, error) {
	return l.s.Current(ctx, serial)
}

// List calls fn for each record matching f.
func (l *Ledger) List(ctx context.Context, f Filter, fn func(*Record) error) error {
	return l.s.List(ctx, f, fn)
}

// Token rebuilds r's token with its secret. It needs the ledger unlocked,
// and checks the sealed secret belongs to r (same ledger, same serial).
// The caller should Wipe the token when done.
func (l *Ledger) Token(r *Record) (*seed.Token, error) {
	if err := l.Authentic(r); err != nil {
		return nil, err
	}
	p, err := l.open(r)
	if err != nil {
		return nil, err
	}
	t := r.token()
	t.Secret, t.PrivateID = p.Secret, p.PrivateID
	if len(p.AccessCode) > 0 {
		t.SetLabel(LabelAccessCode, hex.EncodeToString(p.AccessCode))
		seed.Zero(p.AccessCode)
	}
	if len(t.PrivateID) == 0 {
		t.PrivateID = nil
	}
	return t, nil
}

// AccessCode returns the YubiKey access code sealed with r, if any.
func (l *Ledger) AccessCode(r *Record) ([]byte, error) {
	p, err := l.open(r)
	if err != nil {
		return nil, err
	}
	seed.Zero(p.Secret)
	seed.Zero(p.PrivateID)
	if len(p.AccessCode) == 0 {
		return nil, nil
	}
	return p.AccessCode, nil
}

func (l *Ledger) open(r *Record) (*payload, error) {
	if !l.Unlocked() {
		return nil, ErrLocked
	}
	p, err := unseal(r.Sealed, l.ids)
	if err != nil {
		return nil, fmt.Errorf("serial %s: %w", r.Serial, err)
	}
	if p.LedgerID != l.id || p.Serial != r.Serial {
		p.wipe()
		return nil, fmt.Errorf("serial %s (record #%d): %w", r.Serial, r.ID, ErrTampered)
	}
	return p, nil
}

// token is r's token without secret material.
func (r *Record) token() *seed.Token {
	t := &seed.Token{
		Serial: r.Serial, Kind: r.Kind, Hash: r.Hash, Digits: r.Digits, Period: r.Period, Counter: r.Counter,
		Manufacturer: r.Manufacturer, Model: r.Model, User: r.User, Issuer: r.Issuer,
	}
	if len(r.PublicID) > 0 {
		t.PublicID = append([]byte(nil), r.PublicID...)
	}
	for k, v := range r.Labels {
		t.SetLabel(k, v)
	}
	if r.Slot != 0 && t.Label("slot") == "" {
		t.SetLabel("slot", fmt.Sprint(r.Slot))
	}
	return t
}

// Export calls fn with each record matching f and its token, secret
// included (the ledger must be unlocked). The token is wiped after fn
// returns. Records are checked against their sealed serial.
func (l *Ledger) Export(ctx context.Context, f Filter, fn func(r *Record, t *seed.Token) error) error {
	if !l.Unlocked() {
		return ErrLocked
	}
	return l.s.List(ctx, f, func(r *Record) error {
		t, err := l.Token(r)
		if err != nil {
			return err
		}
		defer t.Wipe()
		return fn(r, t)
	})
}

// Reader returns the tokens of the records matching f as a seed.Reader,
// for convert.WriteStream: the records (sealed) are listed first, and each
// secret is opened only when its token is read. The "line" of each token
// is its record ID. The ledger must be unlocked.
func (l *Ledger) Reader(ctx context.Context, f Filter) (seed.Reader, []*Record, error) {
	return l.ReaderSkipping(ctx, f, nil)
}

// ReaderSkipping is Reader for a user who explicitly skips records that
// fail authentication: each is passed to skip (and left out) instead of
// failing the whole read. With skip nil, any such record is the error.
func (l *Ledger) ReaderSkipping(ctx context.Context, f Filter, skip func(r *Record, err error)) (seed.Reader, []*Record, error) {
	if !l.Unlocked() {
		return nil, nil, ErrLocked
	}
	var recs []*Record
	if err := l.s.List(ctx, f, func(r *Record) error {
		// Every record is checked before any is read: an export holds
		// all of them or nothing.
		if err := l.Authentic(r); err != nil {
			if skip == nil || errors.Is(err, ErrLegacy) || errors.Is(err, ErrNoAuthKey) {
				return err
			}
			skip(r, err)
			return nil
		}
		recs = append(recs, r)
		return nil
	}); err != nil {
		return nil, nil, err
	}
	return &recordReader{l: l, recs: recs}, recs, nil
}

type recordReader struct {
	l    *Ledger
	recs []*Record
	i    int
}

func (rr *recordReader) Read() (*seed.Token, int, error) {
	if rr.i >= len(rr.recs) {
		return nil, 0, io.EOF
	}
	r := rr.recs[rr.i]
	rr.i++
	t, err := rr.l.Token(r)
	if err != nil {
		return nil, int(r.ID), err
	}
	return t, int(r.ID), nil
}
