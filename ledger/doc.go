// Package ledger records every token tokenctl programs or imports, so that
// a batch of hundreds of tokens ends with every seed known exactly once,
// even when the process is killed or a token is pulled mid-write.
//
// # Write-ahead
//
// A token's record is committed as Pending, with its secret, before the
// first byte goes to the device (Reserve), and marked Programmed when the
// device confirms (MarkProgrammed), then Verified when a code from the
// token matches (MarkVerified), or Failed. A crash in between leaves a
// Pending record holding the very secret the token may now hold; when that
// token is presented again, PendingFor hands the same secret back for an
// idempotent re-burn. Each change is one transaction; the SQLite store
// runs in WAL mode with synchronous=FULL, so a commit is on disk (fsync'd)
// when the call returns.
//
// # One serial, one live record
//
// A serial has at most one current record (a unique index). Recording a
// serial again is refused with *ExistsError unless the caller asks to
// reprogram; the old record then stays in the history, linked both ways
// (Replaces/ReplacedBy), with an event saying who replaced it and when.
// A Pending record is claimed by the process that wrote it (host, pid,
// process start time, nonce) until it is marked; another process may take
// it over only when that owner has certainly ended (same host, pid gone
// or reused) or its lease has run out (other hosts). Write transactions
// take the write lock when they begin, and the claim check happens inside
// them, so two processes never both hold one serial.
//
// # Encryption
//
// The ledger file alone reveals no seed. Each record's secret material
// (secret, Yubico OTP private ID, access code, bound to the ledger's ID
// and the record's serial so a ciphertext moved to another row is
// detected) is sealed with filippo.io/age to the ledger's own public key:
// an X25519 key made by Create (or an ML-KEM-768+X25519 hybrid key, on
// request), whose public half lives in the ledger's metadata.
//
// Sealing per record to a public key (about 0.1 ms each) was chosen over
// sealing every record under one symmetric data key because it splits the
// two powers: a provisioning station records new tokens with the public
// key (and the station key that authenticates them, below) and never holds
// anything that can read the ledger back; only
// export and resuming a crashed token need the private key. The private key is kept either in an identity file written by
// 'tokenctl ledger init' (0600, away from the ledger), or inside the
// ledger's metadata, encrypted to a passphrase with age's scrypt
// recipient, or both. The passphrase is thus stretched once per process
// (about a second, by design) rather than once per record, which scrypt
// per record would cost.
//
// # Who can write the ledger
//
// Sealing gives confidentiality, not authenticity: anybody who can write
// the file knows the public key. So every record, its plain columns
// included (all but the store's bookkeeping: ID, claim owner and lease,
// update time, replacement links), and the metadata (recipient, settings)
// carry an HMAC-SHA256 under the ledger's authentication key: 32 random
// bytes made by Create, sealed to the recipient in the metadata (so the
// key holder recovers it) and never in the file in the clear. A symmetric
// key was chosen over per-station signatures because it is one secret to
// hand out and check, and what it guards against is the writer of the file,
// not the stations, which generate the seeds they record anyway.
//
// A station needs the key to record (Reserve, Import, every state change
// checks the record and signs it again) but cannot open any seed with it:
// 'tokenctl ledger station-key' writes it for another machine. Each machine
// remembers, under ConfigDir, the key of every ledger it has used and the
// newest state it saw (highest record ID, latest update): a file whose
// metadata fails the key's MAC (a swapped recipient) is refused when it is
// opened, before any seed is sealed, and one that holds less than was seen
// (a copy put back) is refused as rolled back. Token, PendingFor (resume)
// and Reader (export) refuse a record that fails its MAC, naming its
// serial and row; Reader checks every record before handing out any.
// Ledgers written before this have no MACs: they are neither read nor
// written until their key holder runs Upgrade.
//
// What this does not protect: a writer can still delete records or the
// whole file (keep backups), and a machine that never saw the newer copy
// cannot tell a rolled-back one; 'tokenctl ledger verify' prints a head
// (count, highest record, digest) to compare across machines.
//
// # Files and people
//
// CreateFiles makes a ledger file with its identity file, all or nothing;
// OpenFileWith opens one with the keys a user gave (identity files or
// passphrase, station key file); DefaultPath is where it lives when none
// is named. A program acting for a user (tokenctl's commands) goes
// through Init and Access.Open, which also find the ledger (ResolvePath,
// InitPath: flag, $TOKENCTL_LEDGER, default place) and check what was
// given; ImportFiles and ExportTo take seed files in and out through
// convert's formats. What a person reads (no secret in any of it) is
// written by Record.Describe, TokenHistory.Describe, Histories, Table and
// the reports (Created, ImportReport, VerifyReport, Status, CopyResult),
// each also JSON; Selection, ParseFilter and Assignments take what a
// person types. Errors the caller fixes by asking differently (ErrLocked,
// ErrNoAuthKey, ErrLegacy, what Access.Open and Init refuse) say so with
// a UsageError method; DataError marks the data at fault whatever it
// wraps, and ProblemsError lists every problem of an input refused whole.
//
// # Stores
//
// The Ledger holds the keys and the rules; a Store (interface) only keeps
// records, events and metadata, and never sees a plaintext secret.
// OpenSQLite is the embedded store on modernc.org/sqlite (pure Go); a
// store shared by several stations (PostgreSQL) implements the same
// interface.
package ledger
