// Package targets is the model of each server's importer: for every
// import format tokenctl writes, what the server's own import code (or its
// documentation, where the code is not public) accepts and how it reads a
// file: text encoding, separator, header, comment lines, tokens per user,
// the settings a line can carry, and how a missing field is inferred.
//
// The csvfmt writers and the convert rules consult it, so that a rule is
// written once, next to the source it comes from. Each Importer names that
// source in its Source field.
package targets

import "github.com/tokenctl/tokenctl/seed"

// Setting is a token setting a file may or may not be able to carry.
type Setting string

// The settings a source token may have besides serial and secret.
const (
	Hash         Setting = "hash"
	Digits       Setting = "digits"
	Period       Setting = "period"
	Counter      Setting = "counter"
	User         Setting = "user"
	Manufacturer Setting = "manufacturer"
	Model        Setting = "model"
	Issuer       Setting = "issuer"
	TimeDrift    Setting = "time-drift" // PSKC TimeDrift, in time steps
)

// Importer is what one server's importer accepts.
type Importer struct {
	Format string // tokenctl format name
	Server string
	// Source is where these rules come from: the server's public code
	// (file and function) or its documentation page.
	Source string
	// Encoding is how the importer decodes the file's bytes; tokenctl
	// writes UTF-8 without a BOM for every target, which each importer
	// below reads.
	Encoding string
	// CRLF: the importer needs CRLF line ends. No target here does: each
	// splits on '\n' and strips the '\r' with the cell's blanks, or reads
	// lines with a CSV parser; tokenctl writes LF on every platform.
	CRLF bool
	// Header is the header line the importer requires ("" for none).
	Header string
	// Comment describes which lines the importer skips as comments ("" for
	// none).
	Comment string
	// MaxPerUser bounds the tokens one user may hold (0: no limit known).
	MaxPerUser int
	// Hashes the file can give a token (nil: any of SHA-1, -256, -512).
	Hashes []seed.Hash
	// Carries lists the settings a line records; a source token's setting
	// not listed is either implied by the target (Entra: SHA-1, 6 digits),
	// checked by the target's rules, or reported when dropped.
	Carries []Setting
	// DriftRefused: the server cannot resync a TOTP token's drift, so a
	// token with a known drift is refused rather than written without it
	// (elsewhere the drift is dropped with a warning).
	DriftRefused bool
	// InferHash is the hash the importer gives a token whose line names
	// none, from the secret's length in bytes; name is the hash's name
	// when tokenctl cannot represent it (SHA-224, SHA-384). Nil: the
	// importer does not infer (SHA-1 or a column).
	InferHash func(secretLen int) (h seed.Hash, name string)
}

// Carry reports whether the importer's file records setting s.
func (im *Importer) Carry(s Setting) bool {
	for _, c := range im.Carries {
		if c == s {
			return true
		}
	}
	return false
}

// PrivacyIDEAHash is the hash privacyIDEA gives an OATH CSV line, from the
// length of its hex seed: 64 hex digits (32 bytes) SHA-256, 128 SHA-512,
// 56 SHA-224, 96 SHA-384, anything else SHA-1. For SHA-224 and SHA-384,
// which tokenctl's token model has not, name says which (h is then
// meaningless).
//
// Source: privacyidea/lib/tokenclass.py, TokenClass.get_import_csv (called
// by privacyidea/lib/importotp.py, parseOATHcsv, through the token
// class's get_import_csv).
func PrivacyIDEAHash(n int) (h seed.Hash, name string) {
	switch n {
	case 32:
		return seed.SHA256, ""
	case 64:
		return seed.SHA512, ""
	case 28:
		return seed.SHA1, "sha224"
	case 48:
		return seed.SHA1, "sha384"
	}
	return seed.SHA1, ""
}

// LinOTPHash is the hash LinOTP gives an OATH CSV line without a valid
// hash column, from the length of its hex key: 128 hex digits SHA-512, 64
// SHA-256, else SHA-1.
//
// Source: linotp/lib/ImportOTP/oath.py, parseOATHcsv ("6 column: hash
// lib").
func LinOTPHash(n int) (seed.Hash, string) {
	switch n {
	case 64:
		return seed.SHA512, ""
	case 32:
		return seed.SHA256, ""
	}
	return seed.SHA1, ""
}

// EntraMaxPerUser is how many OATH hardware tokens or authenticator apps
// one Entra user may have (Microsoft Learn, "Authentication methods in
// Microsoft Entra ID - OATH tokens": "up to five OATH hardware tokens or
// authenticator applications").
const EntraMaxPerUser = 5

var all = []*Importer{
	{
		Format: "entra", Server: "Microsoft Entra ID (CSV upload)",
		Source:     "Microsoft Learn: \"Upload hardware OATH tokens in CSV format\" (how-to-mfa-upload-oath-tokens: header, example file, base32 a-z A-Z 2-7, at most 128 characters) and \"Authentication methods in Microsoft Entra ID - OATH tokens\" (TOTP SHA-1, 30 or 60 s, up to five per user)",
		Encoding:   "UTF-8 (Excel's \"CSV UTF-8\"); no BOM written",
		Header:     "upn,serial number,secret key,time interval,manufacturer,model",
		MaxPerUser: EntraMaxPerUser,
		Hashes:     []seed.Hash{seed.SHA1},
		Carries:    []Setting{Period, User, Manufacturer, Model},
	},
	{
		Format: "entra-graph", Server: "Microsoft Entra ID (Graph hardwareOathDevices)",
		Source:     "Microsoft Learn: \"How to manage hardware OATH tokens in Microsoft Entra ID\" and the Graph hardwareOathTokenAuthenticationMethodDevice resource (hashFunction hmacsha1/hmacsha256, timeIntervalInSeconds)",
		Encoding:   "JSON, UTF-8",
		MaxPerUser: EntraMaxPerUser,
		Hashes:     []seed.Hash{seed.SHA1, seed.SHA256},
		Carries:    []Setting{Hash, Period, User, Manufacturer, Model},
	},
	{
		Format: "duo-hotp", Server: "Duo (HOTP paste import)",
		Source:   "Duo's documented hardware token import, as summarised in the project's seed-format reference (serial,secret[,counter] a line, hex, no header; the token type is chosen in the import form)",
		Encoding: "ASCII",
		Hashes:   []seed.Hash{seed.SHA1},
		Carries:  []Setting{Counter},
	},
	{
		Format: "duo-totp", Server: "Duo (TOTP paste import)",
		Source:   "Duo's documented hardware token import, as summarised in the project's seed-format reference (serial,secret[,step] a line, hex, no header; step 30 when missing)",
		Encoding: "ASCII",
		Hashes:   []seed.Hash{seed.SHA1},
		Carries:  []Setting{Period},
		// "Duo cannot resync TOTP drift" (the project's seed-format
		// reference).
		DriftRefused: true,
	},
	{
		Format: "duo", Server: "Duo (paste import, any OATH type)",
		Source:       "Duo's documented hardware token import (see duo-hotp, duo-totp)",
		Encoding:     "ASCII",
		Hashes:       []seed.Hash{seed.SHA1},
		Carries:      []Setting{Counter, Period},
		DriftRefused: true,
	},
	{
		Format: "privacyidea", Server: "privacyIDEA (OATH CSV import)",
		Source:    "privacyidea/lib/importotp.py parseOATHcsv; privacyidea/lib/tokenclass.py TokenClass.get_import_csv; hotptoken.py and totptoken.py get_import_csv; privacyidea/api/token.py loadtokens_api (bytes decoded as UTF-8)",
		Encoding:  "UTF-8 (a file that is not is refused); no BOM: the version line must be the very first bytes",
		Comment:   "a line whose first character is '#' (not after blanks); '# version: 2' on the first line adds user, resolver, realm columns",
		Carries:   []Setting{Digits, Period, Counter, User},
		InferHash: PrivacyIDEAHash,
	},
	{
		Format: "linotp", Server: "LinOTP (OATH CSV import)",
		Source:    "linotp/lib/ImportOTP/oath.py parseOATHcsv; linotp/controllers/admin.py loadtokens (bytes decoded as UTF-8)",
		Encoding:  "UTF-8",
		Comment:   "a line whose serial cell is exactly '#'; a line without a key is skipped",
		Carries:   []Setting{Hash, Digits, Period},
		InferHash: LinOTPHash,
	},
	{
		Format: "pskc", Server: "RFC 6030 consumers (python-pskc, privacyIDEA, LinOTP, FreeIPA)",
		Source:   "RFC 6030; python-pskc (pskc/parser.py)",
		Encoding: "XML, UTF-8",
		Carries:  []Setting{Hash, Digits, Period, Counter, User, Manufacturer, Model, Issuer, TimeDrift},
	},
	{
		Format: "otpauth", Server: "authenticator apps (Key URI Format)",
		Source:   "Google Authenticator wiki, \"Key Uri Format\"",
		Encoding: "UTF-8, percent-encoded",
		Carries:  []Setting{Hash, Digits, Period, Counter, Issuer},
	},
}

// Lookup returns the importer of a tokenctl format name, or nil.
func Lookup(format string) *Importer {
	for _, im := range all {
		if im.Format == format {
			return im
		}
	}
	return nil
}

// All lists every importer modelled.
func All() []*Importer { return append([]*Importer(nil), all...) }
