package ledger

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tokenctl/tokenctl/seed"
)

// State is where a token stands in provisioning.
type State string

const (
	// Pending: the secret is recorded and the token is about to be (or is
	// being) written. A pending record whose owner is gone is resumed with
	// the same secret.
	Pending State = "pending"
	// Programmed: the device confirmed the write.
	Programmed State = "programmed"
	// Verified: a code from the token matched the recorded secret.
	Verified State = "verified"
	// Failed: the write or the verification failed. The secret is kept:
	// the token may hold it, so a later attempt re-burns the same one.
	Failed State = "failed"
)

// ParseState accepts a state name in any case.
func ParseState(s string) (State, error) {
	switch st := State(strings.ToLower(strings.TrimSpace(s))); st {
	case Pending, Programmed, Verified, Failed:
		return st, nil
	}
	return "", fmt.Errorf("unknown state %q (want pending, programmed, verified or failed)", s)
}

// Family is the kind of device a record belongs to.
type Family string

const (
	Token2   Family = "token2"
	YubiKey  Family = "yubikey"
	Imported Family = "imported" // factory-seeded tokens from a vendor seed file
	FIDO2    Family = "fido2"    // the button HOTP of Token2 FIDO2 keys
	Molto2   Family = "molto2"   // one profile of a Token2 Molto2 (serial SERIAL-PROFILE)
)

// ParseFamily accepts a family name in any case.
func ParseFamily(s string) (Family, error) {
	switch f := Family(strings.ToLower(strings.TrimSpace(s))); f {
	case Token2, YubiKey, Imported, FIDO2, Molto2:
		return f, nil
	}
	return "", fmt.Errorf("unknown family %q (want token2, yubikey, fido2, molto2 or imported)", s)
}

// MaxSerialLen bounds serial numbers, as the seed-file formats do.
const MaxSerialLen = 128

// CheckSerial reports why s cannot be a ledger serial, or nil.
func CheckSerial(s string) error {
	switch {
	case s == "":
		return errors.New("empty serial")
	case len(s) > MaxSerialLen:
		return fmt.Errorf("serial longer than %d characters", MaxSerialLen)
	case strings.TrimSpace(s) != s:
		return errors.New("serial has leading or trailing spaces")
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return errors.New("serial contains a control character")
		}
	}
	return nil
}

// Record is one token in the ledger. Everything but Sealed is plain text in
// the store; Sealed is the age ciphertext of the secret material.
//
// A serial has at most one current record. Reprogramming a serial adds a
// new record that Replaces the old one; the old one stays, with ReplacedBy
// set, as the history of that token.
type Record struct {
	ID     int64  `json:"id"`
	Serial string `json:"serial"`
	Family Family `json:"family"`
	Model  string `json:"model,omitempty"`

	Kind         seed.Kind         `json:"-"`
	Hash         seed.Hash         `json:"-"`
	Digits       int               `json:"digits,omitempty"`
	Period       int               `json:"period,omitempty"`
	Counter      uint64            `json:"counter,omitempty"`
	Slot         int               `json:"slot,omitempty"`
	Manufacturer string            `json:"manufacturer,omitempty"`
	Issuer       string            `json:"issuer,omitempty"`
	PublicID     []byte            `json:"-"` // Yubico OTP public ID (not secret)
	Labels       map[string]string `json:"labels,omitempty"`

	State    State  `json:"state"`
	Batch    string `json:"batch,omitempty"`
	Operator string `json:"operator,omitempty"`
	User     string `json:"user,omitempty"`   // assigned user
	Source   string `json:"source,omitempty"` // imported from this file
	Error    string `json:"error,omitempty"`  // why it failed
	// Station names the provisioning station that recorded the token, or
	// that last resumed it (Ledger.Station: the host name or a name the
	// operator gives), when known.
	Station string `json:"station,omitempty"`

	Created    time.Time `json:"created"`
	Programmed time.Time `json:"programmed,omitzero"`
	Verified   time.Time `json:"verified,omitzero"`
	Updated    time.Time `json:"updated"`

	// Owner is the process that holds a pending record (host, pid, start
	// time, nonce) and LeaseUntil when that claim lapses anyway.
	Owner      string    `json:"owner,omitempty"`
	LeaseUntil time.Time `json:"lease_until,omitzero"`

	Replaces   int64 `json:"replaces,omitempty"`
	ReplacedBy int64 `json:"replaced_by,omitempty"`

	// Auth is the record's MAC under the ledger's authentication key
	// (see the package doc); the store keeps it as it keeps the rest.
	Auth []byte `json:"-"`

	// Sealed is the age-encrypted secret material (see package doc).
	Sealed []byte `json:"-"`
}

// Current reports whether r is its serial's live record.
func (r *Record) Current() bool { return r.ReplacedBy == 0 }

// String describes the record without secrets.
func (r *Record) String() string {
	return fmt.Sprintf("#%d %s %s %s %s", r.ID, r.Serial, r.Family, r.Kind, r.State)
}

// Event is one line of a record's history: what happened, when, by whom.
type Event struct {
	ID       int64     `json:"id"`
	RecordID int64     `json:"record"`
	Serial   string    `json:"serial"`
	At       time.Time `json:"at"`
	What     string    `json:"event"`
	Operator string    `json:"operator,omitempty"`
	Detail   string    `json:"detail,omitempty"`
}

// Filter selects records. Zero fields select everything.
type Filter struct {
	Batch   string
	Station string
	Family  Family
	States  []State
	Serials []string
	// History includes replaced records; by default only current ones.
	History bool
}

// Errors.
var (
	// ErrNotFound: no record for that serial.
	ErrNotFound = errors.New("no such token in the ledger")
	// ErrNotLedger: the store holds no initialised ledger.
	ErrNotLedger = errors.New("not a tokenctl ledger (run 'tokenctl ledger init')")
	// ErrInitialized: the store already holds a ledger.
	ErrInitialized = errors.New("ledger already initialised")
	// ErrLocked: the operation needs the age identity or the passphrase
	// (a usage error: the caller must give one).
	ErrLocked error = &usageError{"the ledger is locked: this needs its age identity or passphrase"}
	// ErrWrongKey: the identity or passphrase does not open this ledger.
	ErrWrongKey = errors.New("this identity or passphrase does not open the ledger")
	// ErrTampered: a sealed secret does not belong to its record.
	ErrTampered = errors.New("sealed secret does not belong to this record (ledger modified outside tokenctl?)")
)

// usageError is a condition the caller fixes by asking differently (give
// a key, upgrade the ledger) rather than by changing its data. It says so
// through UsageError, which tokenctl turns into exit code 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

// UsageError reports that the request, not the data, is at fault.
func (e *usageError) UsageError() bool { return true }

// ExistsError is returned when a serial already has a current record and
// replacing it was not asked for.
type ExistsError struct {
	Records []*Record // the current records in the way
}

func (e *ExistsError) Error() string {
	if len(e.Records) == 1 {
		r := e.Records[0]
		s := fmt.Sprintf("serial %s is already in the ledger (record #%d, %s", r.Serial, r.ID, r.State)
		if r.Batch != "" {
			s += ", batch " + r.Batch
		}
		return s + "); reprogram it explicitly to replace that record"
	}
	serials := make([]string, 0, len(e.Records))
	for _, r := range e.Records {
		serials = append(serials, r.Serial)
	}
	return fmt.Sprintf("%d serials are already in the ledger: %s", len(e.Records), strings.Join(serials, ", "))
}

// ClaimedError is returned when a pending record belongs to another live
// process (another batch on this or another station).
type ClaimedError struct {
	Record *Record
}

func (e *ClaimedError) Error() string {
	r := e.Record
	return fmt.Sprintf("serial %s is being programmed by another process (%s, claim until %s)",
		r.Serial, r.Owner, r.LeaseUntil.Format(time.RFC3339))
}

// StateError is returned when a record is not in a state that allows the
// operation (for example marking programmed a record this process no
// longer holds).
type StateError struct {
	Record *Record
	Op     string
}

func (e *StateError) Error() string {
	return fmt.Sprintf("serial %s: cannot %s a %s record #%d", e.Record.Serial, e.Op, e.Record.State, e.Record.ID)
}

// MarshalJSON writes the record with kind and hash by name and the public
// ID in hex. The sealed secret is never included.
func (r *Record) MarshalJSON() ([]byte, error) {
	type plain Record
	return json.Marshal(struct {
		*plain
		Kind     string `json:"kind"`
		Hash     string `json:"hash"`
		PublicID string `json:"public_id,omitempty"`
	}{(*plain)(r), r.Kind.String(), r.Hash.String(), hex.EncodeToString(r.PublicID)})
}
