package ledger

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"filippo.io/age"
	"filippo.io/age/armor"

	"github.com/tokenctl/tokenctl/internal/fsutil"
	"github.com/tokenctl/tokenctl/seed"
)

// Metadata keys.
const (
	metaID         = "ledger_id"
	metaCreated    = "created"
	metaRecipient  = "recipient"        // age public key every secret is sealed to
	metaWrapped    = "wrapped_identity" // the identity, age-scrypt encrypted to the passphrase (armored)
	metaCheck      = "check"            // a random value sealed to the recipient (armored)
	sealMagic      = "tokenctl-ledger-secret-v1"
	maxSealedField = 1 << 12
)

// newIdentity makes the ledger's key pair.
func newIdentity(pq bool) (age.Identity, string, string, error) {
	if pq {
		id, err := age.GenerateHybridIdentity()
		if err != nil {
			return nil, "", "", err
		}
		return id, id.String(), id.Recipient().String(), nil
	}
	id, err := age.GenerateX25519Identity()
	if err != nil {
		return nil, "", "", err
	}
	return id, id.String(), id.Recipient().String(), nil
}

// recipientOf returns the public key string of an identity, or "".
func recipientOf(id age.Identity) string {
	switch i := id.(type) {
	case *age.X25519Identity:
		return i.Recipient().String()
	case *age.HybridIdentity:
		return i.Recipient().String()
	}
	return ""
}

func parseRecipient(s string) (age.Recipient, error) {
	rs, err := age.ParseRecipients(strings.NewReader(s))
	if err != nil {
		return nil, fmt.Errorf("ledger metadata: recipient: %w", err)
	}
	if len(rs) != 1 {
		return nil, errors.New("ledger metadata: want exactly one recipient")
	}
	return rs[0], nil
}

// IdentityFile is the content of an age identity file for id, in the
// format age-keygen writes (and age -d -i reads).
func identityFile(secret, recipient string, now time.Time) []byte {
	return []byte(fmt.Sprintf("# tokenctl ledger identity, created %s\n# public key: %s\n%s\n",
		now.UTC().Format(time.RFC3339), recipient, secret))
}

// ReadIdentityFile reads age identities (AGE-SECRET-KEY-1… lines) from a
// file such as the one 'tokenctl ledger init' writes. A file others can
// read is refused.
func ReadIdentityFile(path string) ([]age.Identity, error) {
	b, err := fsutil.ReadPrivate(path, 1<<20)
	if errors.Is(err, fsutil.ErrNotPrivate) {
		return nil, fmt.Errorf("%w: make it private (chmod 600)", err)
	}
	if err != nil {
		return nil, err
	}
	defer seed.Zero(b)
	ids, err := age.ParseIdentities(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return ids, nil
}

// encryptArmored encrypts b to r, ASCII-armored (for metadata values).
func encryptArmored(b []byte, r age.Recipient) (string, error) {
	var buf bytes.Buffer
	aw := armor.NewWriter(&buf)
	w, err := age.Encrypt(aw, r)
	if err != nil {
		return "", err
	}
	if _, err := w.Write(b); err != nil {
		return "", err
	}
	if err := w.Close(); err != nil {
		return "", err
	}
	if err := aw.Close(); err != nil {
		return "", err
	}
	return buf.String(), nil
}

func decryptArmored(s string, ids ...age.Identity) ([]byte, error) {
	r, err := age.Decrypt(armor.NewReader(strings.NewReader(s)), ids...)
	if err != nil {
		return nil, err
	}
	return io.ReadAll(io.LimitReader(r, 1<<16))
}

// payload is what one record seals: the ledger it belongs to, the serial
// (so a ciphertext moved to another row is detected), the secret, the
// Yubico OTP private ID and a YubiKey access code.
type payload struct {
	LedgerID   string
	Serial     string
	Secret     []byte
	PrivateID  []byte
	AccessCode []byte
}

func (p *payload) marshal() []byte {
	var b []byte
	b = append(b, sealMagic...)
	for _, f := range [][]byte{[]byte(p.LedgerID), []byte(p.Serial), p.Secret, p.PrivateID, p.AccessCode} {
		b = binary.AppendUvarint(b, uint64(len(f)))
		b = append(b, f...)
	}
	return b
}

func unmarshalPayload(b []byte) (*payload, error) {
	if !bytes.HasPrefix(b, []byte(sealMagic)) {
		return nil, errors.New("sealed secret: unknown format")
	}
	b = b[len(sealMagic):]
	var fields [5][]byte
	for i := range fields {
		n, k := binary.Uvarint(b)
		if k <= 0 || n > maxSealedField || uint64(len(b)-k) < n {
			return nil, errors.New("sealed secret: malformed")
		}
		// One encoding per payload: a length in more bytes than it
		// needs (0x80 0x00 for 0) is refused.
		if k != len(binary.AppendUvarint(nil, n)) {
			return nil, errors.New("sealed secret: non-minimal length")
		}
		fields[i] = append([]byte(nil), b[k:k+int(n)]...)
		b = b[k+int(n):]
	}
	if len(b) != 0 {
		return nil, errors.New("sealed secret: trailing data")
	}
	return &payload{LedgerID: string(fields[0]), Serial: string(fields[1]), Secret: fields[2], PrivateID: fields[3], AccessCode: fields[4]}, nil
}

func (p *payload) wipe() {
	seed.Zero(p.Secret)
	seed.Zero(p.PrivateID)
	seed.Zero(p.AccessCode)
}

// seal encrypts p to r (binary age format).
func seal(p *payload, r age.Recipient) ([]byte, error) {
	plain := p.marshal()
	defer seed.Zero(plain)
	var buf bytes.Buffer
	buf.Grow(len(plain) + 256)
	w, err := age.Encrypt(&buf, r)
	if err != nil {
		return nil, fmt.Errorf("sealing secret: %w", err)
	}
	if _, err := w.Write(plain); err != nil {
		return nil, fmt.Errorf("sealing secret: %w", err)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("sealing secret: %w", err)
	}
	return buf.Bytes(), nil
}

// unseal decrypts a record's secret with ids.
func unseal(sealed []byte, ids []age.Identity) (*payload, error) {
	r, err := age.Decrypt(bytes.NewReader(sealed), ids...)
	if err != nil {
		var nm *age.NoIdentityMatchError
		if errors.As(err, &nm) {
			return nil, ErrWrongKey
		}
		return nil, fmt.Errorf("opening sealed secret: %w", err)
	}
	b, err := io.ReadAll(io.LimitReader(r, 6*maxSealedField))
	if err != nil {
		return nil, fmt.Errorf("opening sealed secret: %w", err)
	}
	defer seed.Zero(b)
	return unmarshalPayload(b)
}

func randomID() string {
	var b [16]byte
	rand.Read(b[:])
	return fmt.Sprintf("%x", b[:])
}
