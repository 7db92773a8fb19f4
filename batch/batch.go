// Package batch provisions a box of tokens one after another against a
// ledger: wait for the next token, read its serial, refuse a serial the
// ledger already holds (unless reprogramming), generate the secret, record
// it in the ledger (committed and fsync'd) before the first write to the
// token, program it, optionally have the operator verify it, record the
// outcome, ask for the token to be removed, and repeat.
//
// The engine (Run) is independent of the device family: a Station
// presents Devices (Token2 tokens on a PC/SC reader, YubiKeys on a reader
// or on USB) and a Recipe makes the credential for each. A crash at any
// point leaves at worst a Pending record holding the very secret the
// token may have received; when that token is presented again the engine
// re-burns the same secret (resume), which is idempotent.
package batch

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tokenctl/tokenctl/ledger"
	"github.com/tokenctl/tokenctl/nfc"
	"github.com/tokenctl/tokenctl/seed"
)

// Station presents tokens one after another.
type Station interface {
	// Family is the kind of device it presents.
	Family() ledger.Family
	// Next waits for the next token to be presented and opens it, its
	// serial read and nothing written. A problem with that one token
	// (unreadable, pulled away) is a *DeviceError: the batch reports it
	// and goes on once the token is removed. Any other error ends the
	// batch (no reader, context cancelled).
	Next(ctx context.Context) (Device, error)
	// WaitRemoved waits until the last token presented is taken away.
	WaitRemoved(ctx context.Context) error
}

// Device is one token, open, its serial read.
type Device interface {
	Serial() string
	Model() string
	// Check says why the device cannot be programmed now, before
	// anything is recorded or written: an unknown model, a slot already
	// programmed (unless overwrite).
	Check(tok *seed.Token, overwrite bool) error
	// Program writes tok (secret and parameters) to the device. resumed
	// says tok is a recorded secret being re-burned: an interrupted
	// earlier write of it may already have reached the device.
	Program(tok *seed.Token, resumed bool) error
	// Close ends the session with the device.
	Close() error
}

// Recipe makes the credential to burn into a device.
type Recipe interface {
	// New returns a new token (secret included) for d.
	New(d Device) (*seed.Token, error)
}

// RecipeFunc adapts a function to Recipe.
type RecipeFunc func(d Device) (*seed.Token, error)

// New implements Recipe.
func (f RecipeFunc) New(d Device) (*seed.Token, error) { return f(d) }

// Verifier has the operator check a programmed token: for example type
// the code a Token2 token shows, or touch a YubiKey so that it types one.
// It returns ErrNotVerified when the operator skipped the check.
type Verifier interface {
	Verify(ctx context.Context, d Device, tok *seed.Token) error
}

// ErrNotVerified is a verification the operator skipped: the token stays
// programmed, not verified.
var ErrNotVerified = errors.New("verification skipped")

// ErrNoRetry is wrapped by a Program error that must not be retried
// without the operator's say-so: a refused authentication (Token2 tokens
// lock after repeated failures). Such a token is recorded as failed and,
// when presented again, skipped unless reprogramming.
var ErrNoRetry = errors.New("not retried automatically")

const noRetryPrefix = "authentication refused, not retried: "

// ErrUnconfirmed is wrapped by a Program error when the device accepted
// the write but cannot show that it took (a YubiKey on firmware 5.0.0 to
// 5.4.2 over CCID rewriting a slot: a refusal looks the same). Such a
// token counts as programmed only once the operator verifies it; without
// a Verifier, or when the operator skips the check, it is recorded as
// failed, its secret kept for a re-burn.
var ErrUnconfirmed = errors.New("the device accepted the write but cannot confirm that it took")

// ErrNoMore is what Station.Next returns when it has nothing more to
// present (the last profile of a Molto2): the batch ends there.
var ErrNoMore = errors.New("no more devices to present")

// DeviceError is a problem with one presented token.
type DeviceError struct {
	Serial string // when it was read
	Err    error
}

func (e *DeviceError) Error() string {
	if e.Serial != "" {
		return fmt.Sprintf("token %s: %v", e.Serial, e.Err)
	}
	return e.Err.Error()
}

func (e *DeviceError) Unwrap() error { return e.Err }

// DeviceError: a problem with a presented token (tokenctl exits 3).
func (e *DeviceError) DeviceError() bool { return true }

// Outcomes of one token.
const (
	OutcomeProgrammed = "programmed" // written, not verified
	OutcomeVerified   = "verified"
	OutcomeFailed     = "failed"  // writing or verifying failed; the ledger keeps the secret for a re-burn
	OutcomeSkipped    = "skipped" // nothing written (serial already recorded, claimed elsewhere, slot in use...)
)

// Result is what happened to one presented token.
type Result struct {
	N        int       `json:"n"` // presentation number, from 1
	Serial   string    `json:"serial"`
	Model    string    `json:"model,omitempty"`
	Outcome  string    `json:"outcome"`
	Resumed  bool      `json:"resumed,omitempty"`  // re-burned the secret of a pending or failed record
	Replaced int64     `json:"replaced,omitempty"` // record replaced by a reprogram
	Record   int64     `json:"record,omitempty"`
	Error    string    `json:"error,omitempty"`
	Millis   float64   `json:"ms"` // from presentation to the final record
	At       time.Time `json:"at"`
}

// Progress is the state of the batch after each token.
type Progress struct {
	Done, Failed, Skipped int
	Remaining             int // -1 when there is no count
	Elapsed               time.Duration
	// Rate is tokens done per minute.
	Rate float64
}

// Config is one batch.
type Config struct {
	Ledger  *ledger.Ledger
	Station Station
	Recipe  Recipe
	Verify  Verifier // nil: no verification

	// Count is how many tokens to program (programmed or verified); 0
	// runs until ctx ends.
	Count    int
	Batch    string
	Operator string
	Model    string // recorded when the device does not say
	Slot     int    // recorded slot (YubiKey)
	// Reprogram burns a new secret into a serial the ledger already has
	// as programmed or verified (the old record is kept as replaced).
	Reprogram bool
	// Force lets a device overwrite what it holds (a programmed YubiKey
	// slot) for a serial the ledger does not know.
	Force bool
	// NoResume skips tokens with a pending or failed record instead of
	// re-burning their recorded secret.
	NoResume bool

	// Say tells the operator what to do ("present the next token",
	// "remove the token"). Nil: silent.
	Say func(msg string)
	// OnResult sees each token's result, OnProgress the totals after it.
	OnResult   func(Result)
	OnProgress func(Progress)
	// Now is the clock (tests).
	Now func() time.Time
}

// Summary is the outcome of a whole batch.
type Summary struct {
	Batch     string  `json:"batch"`
	Done      int     `json:"done"`
	Verified  int     `json:"verified"`
	Failed    int     `json:"failed"`
	Skipped   int     `json:"skipped"`
	Resumed   int     `json:"resumed"`
	Presented int     `json:"presented"`
	Seconds   float64 `json:"seconds"`
}

type engine struct {
	Config
	sum   Summary
	start time.Time
	gone  bool // the last token left the reader by itself
}

// Run runs a batch until Count tokens are programmed or ctx ends (then it
// returns the summary and ctx's error). Ledger failures end the batch at
// once: without a durable record no token is written.
func Run(ctx context.Context, c Config) (Summary, error) {
	if c.Ledger == nil || c.Station == nil || c.Recipe == nil {
		return Summary{}, errors.New("batch: ledger, station and recipe are required")
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Say == nil {
		c.Say = func(string) {}
	}
	e := &engine{Config: c, start: c.Now()}
	e.sum.Batch = c.Batch
	defer func() { e.sum.Seconds = c.Now().Sub(e.start).Seconds() }()
	for c.Count == 0 || e.sum.Done < c.Count {
		if err := ctx.Err(); err != nil {
			return e.summary(), err
		}
		if c.Count > 0 {
			e.Say(fmt.Sprintf("present token %d of %d", e.sum.Done+1, c.Count))
		} else {
			e.Say("present the next token")
		}
		d, err := c.Station.Next(ctx)
		if errors.Is(err, ErrNoMore) {
			return e.summary(), nil
		}
		if err != nil {
			var de *DeviceError
			if !errors.As(err, &de) || ctx.Err() != nil {
				return e.summary(), err
			}
			e.sum.Presented++
			e.report(Result{N: e.sum.Presented, Serial: de.Serial, Outcome: OutcomeFailed, Error: de.Error(), At: c.Now()})
			e.Say("remove the token")
			if err := c.Station.WaitRemoved(ctx); err != nil {
				return e.summary(), err
			}
			continue
		}
		e.sum.Presented++
		t0 := c.Now()
		d = &onceCloser{Device: d}
		res, err := e.one(ctx, d)
		d.Close()
		res.N, res.At, res.Millis = e.sum.Presented, c.Now(), float64(c.Now().Sub(t0).Microseconds())/1000
		if err != nil {
			// A ledger failure: stop before touching another token.
			res.Outcome, res.Error = OutcomeFailed, err.Error()
			e.report(res)
			return e.summary(), err
		}
		e.report(res)
		msg := fmt.Sprintf("token %s: %s", res.Serial, res.Outcome)
		if res.Error != "" {
			msg += ": " + res.Error
		}
		e.Say(msg + "; remove the token")
		if c.Count > 0 && e.sum.Done >= c.Count {
			break // the last one: no need to wait for it to leave
		}
		if e.gone {
			// It left during the write: waiting for the reader to be
			// empty would wait for ever if it is back already.
			e.gone = false
			continue
		}
		if err := c.Station.WaitRemoved(ctx); err != nil {
			return e.summary(), err
		}
	}
	return e.summary(), nil
}

func (e *engine) summary() Summary {
	e.sum.Seconds = e.Now().Sub(e.start).Seconds()
	return e.sum
}

func (e *engine) report(r Result) {
	switch r.Outcome {
	case OutcomeProgrammed:
		e.sum.Done++
	case OutcomeVerified:
		e.sum.Done++
		e.sum.Verified++
	case OutcomeFailed:
		e.sum.Failed++
	case OutcomeSkipped:
		e.sum.Skipped++
	}
	if r.Resumed {
		e.sum.Resumed++
	}
	if e.OnResult != nil {
		e.OnResult(r)
	}
	if e.OnProgress != nil {
		p := Progress{Done: e.sum.Done, Failed: e.sum.Failed, Skipped: e.sum.Skipped, Remaining: -1, Elapsed: e.Now().Sub(e.start)}
		if e.Count > 0 {
			p.Remaining = e.Count - e.sum.Done
		}
		if m := p.Elapsed.Minutes(); m > 0 {
			p.Rate = float64(p.Done) / m
		}
		e.OnProgress(p)
	}
}

// onceCloser closes its device once, however often Close is called.
type onceCloser struct {
	Device
	once sync.Once
	err  error
}

func (o *onceCloser) Close() error {
	o.once.Do(func() { o.err = o.Device.Close() })
	return o.err
}

// skipped is a Result for a token left alone.
func skipped(d Device, why string) Result {
	return Result{Serial: d.Serial(), Model: d.Model(), Outcome: OutcomeSkipped, Error: why}
}

// one handles one presented token. Its error is a ledger failure (fatal);
// device problems are in the Result.
func (e *engine) one(ctx context.Context, d Device) (Result, error) {
	serial := d.Serial()
	res := Result{Serial: serial, Model: d.Model()}
	if err := ledger.CheckSerial(serial); err != nil {
		res.Outcome, res.Error = OutcomeFailed, "serial: "+err.Error()
		return res, nil
	}
	cur, err := e.Ledger.Get(ctx, serial)
	if err != nil && !errors.Is(err, ledger.ErrNotFound) {
		return res, err
	}
	var (
		rec       *ledger.Record
		tok       *seed.Token
		overwrite = e.Force
		reprogram = false
	)
	switch {
	case cur == nil:
	case cur.Family != e.Station.Family() && !(cur.Family == ledger.Imported && e.Reprogram):
		return skipped(d, fmt.Sprintf("serial is in the ledger as a %s token (record #%d)", cur.Family, cur.ID)), nil
	case cur.State == ledger.Failed && strings.HasPrefix(cur.Error, noRetryPrefix) && !e.Reprogram:
		return skipped(d, fmt.Sprintf("the token refused authentication before (record #%d): not tried again, since older tokens lock after repeated failures; check it, then reprogram to try once more", cur.ID)), nil
	case cur.State == ledger.Pending || cur.State == ledger.Failed:
		if e.NoResume {
			return skipped(d, fmt.Sprintf("serial has a %s record (#%d) and resuming is off", cur.State, cur.ID)), nil
		}
		if !e.Ledger.Unlocked() {
			if !e.Reprogram {
				return skipped(d, fmt.Sprintf("serial has a %s record (#%d) whose secret the token may hold: give the ledger key to re-burn it, or reprogram with a new secret", cur.State, cur.ID)), nil
			}
			reprogram, overwrite = true, true
			break
		}
		r, t, err := e.Ledger.PendingFor(ctx, serial, e.Operator)
		var ce *ledger.ClaimedError
		var se *ledger.StateError
		switch {
		case errors.As(err, &ce):
			return skipped(d, ce.Error()), nil
		case errors.As(err, &se), errors.Is(err, ledger.ErrNotFound):
			return skipped(d, "record changed by another process: "+err.Error()), nil
		case errors.Is(err, ledger.ErrTampered), errors.Is(err, ledger.ErrUnauthenticated), errors.Is(err, ledger.ErrWrongKey):
			return skipped(d, "its recorded secret cannot be opened: "+err.Error()), nil
		case err != nil:
			return res, err
		}
		rec, tok, overwrite, res.Resumed = r, t, true, true
	default: // programmed or verified
		if !e.Reprogram {
			return skipped(d, fmt.Sprintf("serial is already in the ledger (record #%d, %s, batch %s): not reprogrammed", cur.ID, cur.State, cur.Batch)), nil
		}
		reprogram, overwrite = true, true
	}
	if tok == nil {
		if tok, err = e.Recipe.New(d); err != nil {
			res.Outcome, res.Error = OutcomeFailed, "making the secret: "+err.Error()
			return res, nil
		}
		if tok.Serial != serial {
			tok.Wipe()
			return res, fmt.Errorf("recipe made a token for serial %q, not %q", tok.Serial, serial)
		}
		if e.Slot != 0 && tok.Label("slot") == "" {
			tok.SetLabel("slot", strconv.Itoa(e.Slot))
		}
	}
	defer tok.Wipe()
	if err := d.Check(tok, overwrite); err != nil {
		if rec != nil { // resumed: the claim goes back
			if _, ferr := e.Ledger.MarkFailed(ctx, rec, e.Operator, "not re-burned: "+err.Error()); ferr != nil {
				return res, ferr
			}
		}
		return skipped(d, err.Error()), nil
	}
	if rec == nil {
		model := d.Model()
		if model == "" {
			model = e.Model
		}
		entry := ledger.Entry{Family: e.Station.Family(), Model: model, Slot: e.Slot, Batch: e.Batch, Operator: e.Operator, Reprogram: reprogram}
		// Write-ahead: durable before the first write to the device.
		rec, err = e.Ledger.Reserve(ctx, tok, entry)
		var ee *ledger.ExistsError
		var ce *ledger.ClaimedError
		switch {
		case errors.As(err, &ee):
			return skipped(d, "recorded by another process meanwhile: "+ee.Error()), nil
		case errors.As(err, &ce):
			return skipped(d, ce.Error()), nil
		case err != nil:
			return res, err
		}
		res.Replaced = rec.Replaces
	}
	res.Record = rec.ID
	// Once the device may have been written, what it did is recorded even
	// when ctx ends meanwhile (Ctrl-C): a programmed token left pending
	// would be reported as failed and re-burned for nothing.
	lctx := context.WithoutCancel(ctx)
	err = d.Program(tok, res.Resumed)
	unconfirmed := errors.Is(err, ErrUnconfirmed)
	if unconfirmed && e.Verify != nil {
		err = nil // the verification decides
	}
	if err != nil {
		res.Outcome, res.Error = OutcomeFailed, err.Error()
		// Taken out of the field mid-write: the token is gone already,
		// and the operator may present it again at once to finish it.
		e.gone = nfc.Removed(err)
		if errors.Is(err, ErrNoRetry) {
			res.Error = noRetryPrefix + res.Error
		}
		if _, ferr := e.Ledger.MarkFailed(lctx, rec, e.Operator, res.Error); ferr != nil {
			return res, ferr
		}
		return res, nil
	}
	if rec, err = e.Ledger.MarkProgrammed(lctx, rec, e.Operator); err != nil {
		return res, err
	}
	res.Outcome = OutcomeProgrammed
	if e.Verify == nil {
		return res, nil
	}
	// Release the device before asking the operator, who may take the
	// token away to read it (or touch a key that types on its own).
	d.Close()
	switch err := e.Verify.Verify(ctx, d, tok); {
	case unconfirmed && err != nil && (errors.Is(err, ErrNotVerified) || ctx.Err() != nil):
		res.Outcome, res.Error = OutcomeFailed, "not verified, and "+ErrUnconfirmed.Error()
		if _, ferr := e.Ledger.MarkFailed(lctx, rec, e.Operator, res.Error); ferr != nil {
			return res, ferr
		}
	case errors.Is(err, ErrNotVerified):
	case err != nil && ctx.Err() != nil:
		// Interrupted while waiting for the operator: the token stays programmed.
		return res, nil
	case err != nil:
		res.Outcome, res.Error = OutcomeFailed, "verification: "+err.Error()
		if _, ferr := e.Ledger.MarkFailed(lctx, rec, e.Operator, res.Error); ferr != nil {
			return res, ferr
		}
	default:
		if _, err := e.Ledger.MarkVerified(lctx, rec, e.Operator); err != nil {
			return res, err
		}
		res.Outcome = OutcomeVerified
	}
	return res, nil
}
