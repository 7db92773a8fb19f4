// Package pskc reads and writes Portable Symmetric Key Containers (RFC
// 6030), the XML files in which token vendors (Feitian, NagraID,
// ActivIdentity, multiOTP, Yubico...) deliver OTP seeds, and which servers
// such as FreeIPA and privacyIDEA import.
//
// A Reader decodes one KeyPackage at a time, so a container with 100,000
// keys is read in flat memory. It understands RFC 6030 and the drafts
// before it (SecretContainer, Device/DeviceId, Data Name="SECRET"), values
// encrypted with a pre-shared key (AES-128/192/256-CBC, 3DES-CBC, AES key
// wrap RFC 3394, 3DES key wrap RFC 3217; per-value or file-global IV) or a
// PBKDF2-derived key, and checks every ValueMAC (HMAC-SHA1/224/256/384/512
// over IV ‖ ciphertext, or over the plaintext as older files do, with the
// MACKey or, in older files, the encryption key). A value that does not
// decrypt or whose MAC does not match is an error, never a skipped key.
//
// Input is bounded (MaxSize), DOCTYPE declarations are refused and no
// entity is ever resolved.
//
// A Writer produces plain, pre-shared-key (AES-CBC + HMAC-SHA256 with a
// random, encrypted MAC key and random IVs) or password (PBKDF2-HMAC-SHA256,
// random salt) containers that validate against the RFC 6030 schema.
package pskc

import (
	"fmt"
	"strings"

	"github.com/tokenctl/tokenctl/seed"
)

// Device is the DeviceInfo (and CryptoModuleInfo) of a KeyPackage. Keys of
// one package share it.
type Device struct {
	Manufacturer  string
	SerialNo      string
	Model         string
	IssueNo       string
	DeviceBinding string
	StartDate     string // as written (xs:dateTime)
	ExpiryDate    string
	UserID        string
	CryptoModule  string // CryptoModuleInfo/Id
}

// Format is a ChallengeFormat or ResponseFormat.
type Format struct {
	Encoding    string // DECIMAL, HEXADECIMAL, ALPHANUMERIC, BASE64, BINARY
	Length      int    // ResponseFormat
	Min, Max    int    // ChallengeFormat
	CheckDigits *bool  // nil when absent
}

// Policy is a Key's Policy element.
type Policy struct {
	StartDate, ExpiryDate string
	KeyUsage              []string
	NumberOfTransactions  *int64
	PINKeyID              string
	PINUsageMode          string
	PINEncoding           string
	PINMaxFailedAttempts  int
	PINMinLength          int
	PINMaxLength          int
	// Unknown is set when the policy holds elements or attributes this
	// package does not know; RFC 6030 says such a key must not be used.
	Unknown bool
}

// Key is one Key of a container, decrypted.
type Key struct {
	Line int // line of the Key element, for messages

	ID           string
	Algorithm    string // URI as written
	Issuer       string
	FriendlyName string
	UserID       string // Key/UserId
	KeyProfileID string
	KeyReference string
	Suite        string // AlgorithmParameters/Suite
	Challenge    *Format
	Response     Format

	Secret       []byte
	Counter      *int64
	Time         *int64 // T0 offset, in intervals
	TimeInterval *int64 // seconds
	TimeDrift    *int64 // intervals the device clock is off

	Policy Policy
	Device *Device
}

// String describes the key without its secret.
func (k Key) String() string {
	return fmt.Sprintf("pskc key %q (%s, %d-byte secret)", k.ID, k.Algorithm, len(k.Secret))
}

// GoString keeps %#v from printing the secret.
func (k Key) GoString() string { return k.String() }

// Kind classifies the key's algorithm, comparing case-insensitively and
// accepting the spellings vendors use: urn:ietf:params:xml:ns:keyprov:pskc:hotp,
// …pskc#hotp, http://www.ietf.org/keyprov/pskc#hotp, plain "HOTP", and so on
// for TOTP; http://www.yubico.com/#yubikey-aes for Yubico OTP.
func (k *Key) Kind() seed.Kind {
	switch algName(k.Algorithm) {
	case "hotp":
		return seed.HOTP
	case "totp":
		return seed.TOTP
	case "yubikey-aes":
		return seed.YubicoOTP
	}
	return seed.KindUnknown
}

// IsPIN reports whether the key is a PIN (algorithm …#pin), which RFC 6030
// carries beside the OTP key it protects.
func (k *Key) IsPIN() bool { return algName(k.Algorithm) == "pin" }

// algName is the lower-case algorithm name: the part after the last '#',
// or for a URN without '#', after the last ':'.
func algName(uri string) string {
	s := strings.ToLower(strings.TrimSpace(uri))
	if i := strings.LastIndexByte(s, '#'); i >= 0 {
		return s[i+1:]
	}
	if i := strings.LastIndexByte(s, ':'); i >= 0 {
		return s[i+1:]
	}
	return s
}

// Wipe overwrites the secret.
func (k *Key) Wipe() { seed.Zero(k.Secret) }

// String keeps the key and password out of logs.
func (o Options) String() string {
	return fmt.Sprintf("pskc.Options{File: %q, Key: %d bytes, Password: %t}", o.File, len(o.Key), o.Password != nil)
}

// GoString keeps %#v from printing the key and password.
func (o Options) GoString() string { return o.String() }

// String keeps the key and password out of logs.
func (o WriterOptions) String() string {
	return fmt.Sprintf("pskc.WriterOptions{Key: %d bytes, Password: %t, Iterations: %d}", len(o.Key), o.Password != nil, o.Iterations)
}

// GoString keeps %#v from printing the key and password.
func (o WriterOptions) GoString() string { return o.String() }
