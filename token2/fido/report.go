package fido

import "fmt"

// KeyInfo is what tokenctl token2 fido info reports about a key with the
// OTP applet (its JSON fields): the reader, the SHA-256 fingerprint of
// the key's public key (Fingerprint) and the transport.
type KeyInfo struct {
	Reader    string `json:"reader"`
	PublicKey string `json:"public_key_sha256"`
	Transport string `json:"transport"`
}

// String is the report for people, one field a line.
func (k KeyInfo) String() string {
	return fmt.Sprintf("reader:     %s\napplet:     Token2 OTP\npublic key: SHA-256 %s\n", k.Reader, k.PublicKey)
}

// Programmed is what tokenctl token2 fido hotp reports of a key whose
// button HOTP it set (its JSON fields), with the seed file it was
// recorded in, if any.
type Programmed struct {
	Serial string `json:"serial"`
	Digits int    `json:"digits"`
	Reader string `json:"reader"`
	Output string `json:"output,omitempty"`
	Format string `json:"format,omitempty"`
}

// Note says the write for people: "key SERIAL: button HOTP set (...)".
func (p Programmed) Note() string {
	return fmt.Sprintf("key %s: button HOTP set (%d digits, counter 0)", p.Serial, p.Digits)
}
