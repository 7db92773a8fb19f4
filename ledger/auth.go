package ledger

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/tokenctl/tokenctl/internal/fsutil"
)

// Authentication (see the package doc, "Who can write the ledger"): every
// record and the ledger's metadata carry an HMAC-SHA256 under the ledger's
// authentication key, which is not in the ledger file. Whoever can write
// the file but holds neither that key nor the age identity can no longer
// swap the recipient, plant or edit a record, or roll the file back
// unnoticed by a machine that has seen it.

const (
	metaAuthMAC    = "auth_mac" // HMAC of the metadata under the authentication key (hex)
	metaAuthSealed = "auth_key" // the authentication key, sealed to the recipient (armored)
	authKeyLen     = 32
)

var (
	// ErrUnauthenticated is wrapped by the error for a record or metadata
	// whose MAC does not match: written by someone without the key.
	ErrUnauthenticated = errors.New("fails authentication: changed by someone without the ledger's key")
	// ErrNoAuthKey: the ledger's authentication key is not known here
	// (a usage error: the caller must give the station key or identity).
	ErrNoAuthKey error = &usageError{"this machine has no authentication key for this ledger: give its station key (--station-key FILE) or unlock it with its identity once"}
	// ErrLegacy: a ledger written before records were authenticated (a
	// usage error: it must be upgraded first).
	ErrLegacy error = &usageError{"this ledger was written before its records were authenticated: its key holder must run 'tokenctl ledger upgrade' first"}
	// ErrRolledBack: the ledger holds less than this machine saw in it.
	ErrRolledBack = errors.New("the ledger is older than the copy this machine last saw (rolled back to an earlier copy?)")
)

// authInput builds the byte string a MAC covers: a domain tag and fields,
// each length-prefixed (one encoding per input).
type authInput struct{ b []byte }

func (a *authInput) bytes(b []byte) {
	a.b = binary.AppendUvarint(a.b, uint64(len(b)))
	a.b = append(a.b, b...)
}
func (a *authInput) str(s string) { a.bytes([]byte(s)) }
func (a *authInput) num(n int64)  { a.b = binary.BigEndian.AppendUint64(a.b, uint64(n)) }

func mac(key []byte, in *authInput) []byte {
	h := hmac.New(sha256.New, key)
	h.Write(in.b)
	return h.Sum(nil)
}

// metaMAC authenticates every metadata entry but the MAC itself.
func metaMAC(key []byte, meta map[string]string) []byte {
	in := &authInput{}
	in.str("tokenctl ledger metadata v1")
	keys := make([]string, 0, len(meta))
	for k := range meta {
		if k != metaAuthMAC {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		in.str(k)
		in.str(meta[k])
	}
	return mac(key, in)
}

func nanosOf(r *Record) (c, p, v int64) {
	if !r.Created.IsZero() {
		c = r.Created.UnixNano()
	}
	if !r.Programmed.IsZero() {
		p = r.Programmed.UnixNano()
	}
	if !r.Verified.IsZero() {
		v = r.Verified.UnixNano()
	}
	return
}

// recordMAC authenticates every column of r that says what the token is
// and where it stands: all but the store's bookkeeping (ID, the claim's
// owner and lease, the update time and the replacement links, which the
// store sets itself).
func recordMAC(key []byte, ledgerID string, r *Record) []byte {
	in := &authInput{}
	in.str("tokenctl ledger record v1")
	in.str(ledgerID)
	for _, s := range []string{r.Serial, string(r.Family), r.Model, r.Kind.String(), r.Hash.String()} {
		in.str(s)
	}
	for _, n := range []int64{int64(r.Digits), int64(r.Period), int64(r.Counter), int64(r.Slot)} {
		in.num(n)
	}
	in.str(r.Manufacturer)
	in.str(r.Issuer)
	in.bytes(r.PublicID)
	keys := make([]string, 0, len(r.Labels))
	for k := range r.Labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	in.num(int64(len(keys)))
	for _, k := range keys {
		in.str(k)
		in.str(r.Labels[k])
	}
	for _, s := range []string{string(r.State), r.Batch, r.Operator, r.User, r.Source, r.Error} {
		in.str(s)
	}
	c, p, v := nanosOf(r)
	in.num(c)
	in.num(p)
	in.num(v)
	in.bytes(r.Sealed)
	// Added with the station column: present only when set, so records
	// made before it keep their MAC.
	if r.Station != "" {
		in.str("station")
		in.str(r.Station)
	}
	return mac(key, in)
}

// sign sets r's MAC.
func (l *Ledger) sign(r *Record) { r.Auth = recordMAC(l.auth, l.id, r) }

// Authentic reports whether r carries a valid MAC; the error names the
// record (serial and row) otherwise.
func (l *Ledger) Authentic(r *Record) error {
	switch {
	case l.legacy:
		return ErrLegacy
	case l.auth == nil:
		return ErrNoAuthKey
	case len(r.Auth) == 0 || !hmac.Equal(r.Auth, recordMAC(l.auth, l.id, r)):
		return fmt.Errorf("serial %s (record #%d): %w", r.Serial, r.ID, ErrUnauthenticated)
	}
	return nil
}

// CanWrite says why this ledger cannot take authenticated records here
// (no authentication key known, or a ledger that needs upgrading), or nil.
func (l *Ledger) CanWrite() error { return l.canWrite() }

func (l *Ledger) canWrite() error {
	switch {
	case l.legacy:
		return ErrLegacy
	case l.auth == nil:
		return ErrNoAuthKey
	}
	return nil
}

// update is Store.Update for records that must stay authenticated: the
// record is checked before mutate sees it and signed after.
func (l *Ledger) update(ctx context.Context, id int64, ev Event, mutate func(r *Record) error) (*Record, error) {
	if err := l.canWrite(); err != nil {
		return nil, err
	}
	r, err := l.s.Update(ctx, id, ev, func(r *Record) error {
		if err := l.Authentic(r); err != nil {
			return err
		}
		if err := mutate(r); err != nil {
			return err
		}
		l.sign(r)
		return nil
	})
	if err == nil {
		l.wrote(r)
	}
	return r, err
}

// useAuthKey checks key against the metadata's MAC and keeps it.
func (l *Ledger) useAuthKey(meta map[string]string, key []byte) error {
	want, err := hex.DecodeString(meta[metaAuthMAC])
	if err != nil || !hmac.Equal(want, metaMAC(key, meta)) {
		return fmt.Errorf("the ledger's metadata (recipient, settings) %w, or the key is another ledger's", ErrUnauthenticated)
	}
	l.auth = append([]byte(nil), key...)
	return nil
}

// UseStationKey gives the ledger its authentication key (a station key
// file's content, from 'tokenctl ledger station-key'), checked against the
// metadata, and remembers it on this machine.
func (l *Ledger) UseStationKey(ctx context.Context, text []byte) error {
	if l.legacy {
		return ErrLegacy
	}
	id, key, err := parseStationKey(text)
	if err != nil {
		return err
	}
	if id != l.id {
		return fmt.Errorf("the station key is for ledger %s, not this one (%s)", id, l.id)
	}
	meta, err := l.s.Meta(ctx)
	if err != nil {
		return err
	}
	if err := l.useAuthKey(meta, key); err != nil {
		return err
	}
	return l.remember(0, 0)
}

// StationKey is the text of a station key file for this ledger: what a
// station needs to record tokens (it cannot read any secret with it).
func (l *Ledger) StationKey() ([]byte, error) {
	if err := l.canWrite(); err != nil {
		return nil, err
	}
	return []byte(fmt.Sprintf("# tokenctl station key: records tokens in ledger %s; keep it private\nTOKENCTL-STATION-KEY-1 %s %s\n",
		l.id, l.id, base64.RawStdEncoding.EncodeToString(l.auth))), nil
}

func parseStationKey(text []byte) (id string, key []byte, err error) {
	for _, line := range strings.Split(string(text), "\n") {
		f := strings.Fields(line)
		if len(f) == 3 && f[0] == "TOKENCTL-STATION-KEY-1" {
			k, err := base64.RawStdEncoding.DecodeString(f[2])
			if err != nil || len(k) != authKeyLen {
				return "", nil, errors.New("station key: malformed")
			}
			return f[1], k, nil
		}
	}
	return "", nil, errors.New("not a tokenctl station key file")
}

// ---- what this machine knows of a ledger ----

// ConfigDir is where tokenctl keeps what it knows of ledgers on this
// machine: $TOKENCTL_CONFIG_DIR, or tokenctl under the user's config
// directory (~/.config on Linux, %APPDATA% on Windows).
func ConfigDir() (string, error) {
	if d := os.Getenv("TOKENCTL_CONFIG_DIR"); d != "" {
		return d, nil
	}
	d, err := os.UserConfigDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(d, "tokenctl"), nil
}

// known is what this machine remembers of one ledger: its authentication
// key and the newest state it saw (highest record ID, latest update).
type known struct {
	Key     []byte `json:"auth_key"`
	HeadID  int64  `json:"head_id"`
	HeadUpd int64  `json:"head_updated"`
}

func knownPath(id string) (string, error) {
	d, err := ConfigDir()
	if err != nil {
		return "", err
	}
	if strings.ContainsAny(id, `/\.:`) || id == "" {
		return "", fmt.Errorf("ledger id %q is not a file name", id)
	}
	return filepath.Join(d, "ledgers", id+".json"), nil
}

func loadKnown(id string) (*known, error) {
	p, err := knownPath(id)
	if err != nil {
		return nil, err
	}
	b, err := fsutil.ReadPrivate(p, 1<<16)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var k known
	if err := json.Unmarshal(b, &k); err != nil || len(k.Key) != authKeyLen {
		return nil, fmt.Errorf("%s: malformed", p)
	}
	return &k, nil
}

// remember saves the key and raises the head this machine has seen.
func (l *Ledger) remember(headID, headUpd int64) error {
	if l.auth == nil {
		return nil
	}
	p, err := knownPath(l.id)
	if err != nil {
		return err
	}
	k, err := loadKnown(l.id)
	if err != nil || k == nil {
		k = &known{}
	}
	if bytes.Equal(k.Key, l.auth) && headID <= k.HeadID && headUpd <= k.HeadUpd {
		return nil
	}
	k.Key = l.auth
	k.HeadID, k.HeadUpd = max(k.HeadID, headID), max(k.HeadUpd, headUpd)
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return err
	}
	return fsutil.WriteAtomic(p, func(w io.Writer) error { return json.NewEncoder(w).Encode(k) })
}

// Head is the newest state of a ledger: how many records, the highest
// record ID and the latest update, and a digest of every record's MAC
// that two machines can compare.
type Head struct {
	Records int    `json:"records"`
	MaxID   int64  `json:"max_id"`
	Updated int64  `json:"updated_unix_nano"`
	Digest  string `json:"digest"`
}

// Verify checks every record's MAC and that the ledger is not older than
// this machine last saw it, and returns its head. bad gets each record that
// fails (nil: the first failure is returned as the error).
func (l *Ledger) Verify(ctx context.Context, bad func(r *Record, err error)) (Head, error) {
	var h Head
	if err := l.canWrite(); err != nil {
		return h, err
	}
	d := sha256.New()
	var first error
	err := l.s.List(ctx, Filter{}, func(r *Record) error {
		h.Records++
		h.MaxID = max(h.MaxID, r.ID)
		if !r.Updated.IsZero() {
			h.Updated = max(h.Updated, r.Updated.UnixNano())
		}
		d.Write(r.Auth)
		if err := l.Authentic(r); err != nil {
			if bad == nil {
				return err
			}
			bad(r, err)
			if first == nil {
				first = err
			}
		}
		return nil
	})
	if err != nil {
		return h, err
	}
	h.Digest = hex.EncodeToString(d.Sum(nil))[:32]
	if err := l.checkHead(h); err != nil {
		return h, err
	}
	if first == nil {
		if err := l.remember(h.MaxID, h.Updated); err != nil {
			return h, err
		}
	}
	return h, first
}

// checkHead refuses a ledger that holds less than this machine saw.
func (l *Ledger) checkHead(h Head) error {
	k, err := loadKnown(l.id)
	if err != nil || k == nil {
		return err
	}
	if h.MaxID < k.HeadID || h.Updated < k.HeadUpd {
		return fmt.Errorf("%w: records up to #%d seen here, #%d in the file", ErrRolledBack, k.HeadID, h.MaxID)
	}
	return nil
}

// Upgrade authenticates a ledger written before records carried MACs: the
// key holder (the ledger unlocked with its identity or passphrase) checks
// every record's sealed secret opens and belongs to it (ledger and serial),
// then a new authentication key is made, sealed to the recipient, the
// metadata signed and every record signed. A record that does not open is
// refused and nothing is changed. It returns how many records it signed.
func (l *Ledger) Upgrade(ctx context.Context, operator string) (int, error) {
	if !l.legacy {
		return 0, errors.New("this ledger's records are authenticated already")
	}
	if !l.Unlocked() {
		return 0, ErrLocked
	}
	var recs []*Record
	if err := l.s.List(ctx, Filter{History: true}, func(r *Record) error {
		p, err := l.open(r)
		if err != nil {
			return err
		}
		p.wipe()
		recs = append(recs, r)
		return nil
	}); err != nil {
		return 0, fmt.Errorf("not upgraded, nothing changed: %w", err)
	}
	ms, ok := l.s.(MetaSetter)
	if !ok {
		return 0, errors.New("this store cannot be upgraded")
	}
	meta, err := l.s.Meta(ctx)
	if err != nil {
		return 0, err
	}
	key := make([]byte, authKeyLen)
	if _, err := io.ReadFull(randReader, key); err != nil {
		return 0, err
	}
	if meta[metaAuthSealed], err = encryptArmored(key, l.recipient); err != nil {
		return 0, err
	}
	meta[metaAuthMAC] = hex.EncodeToString(metaMAC(key, meta))
	l.auth, l.legacy = key, false
	n := 0
	for _, r := range recs {
		if _, err := l.s.Update(ctx, r.ID, Event{What: "authenticated (ledger upgrade)", Operator: operator, At: l.Now()}, func(x *Record) error {
			l.sign(x)
			return nil
		}); err != nil {
			l.auth, l.legacy = nil, true
			return n, err
		}
		n++
	}
	// The metadata last: until it is signed the ledger still reads as one
	// to upgrade, so an interrupted upgrade is run again.
	if err := ms.SetMeta(ctx, map[string]string{metaAuthSealed: meta[metaAuthSealed], metaAuthMAC: meta[metaAuthMAC]}); err != nil {
		l.auth, l.legacy = nil, true
		return n, err
	}
	return n, l.remember(0, 0)
}

// MetaSetter is a Store that can add metadata entries (for Upgrade).
type MetaSetter interface {
	SetMeta(ctx context.Context, kv map[string]string) error
}
