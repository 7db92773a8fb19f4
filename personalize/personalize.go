// Package personalize writes a YubiKey's OTP slots the way the tokenctl
// commands and the batch station both do: the credential is built for the
// key's serial, its log record prepared before the key is touched, a
// programmed slot changed only when forced or confirmed, the write made,
// the record committed, and the report says whether the key could confirm
// the write (firmware 5.0.0 to 5.4.2 over CCID cannot).
//
// It sits above yubikey (the protocol), device (the opened key) and
// convert (the log formats), which must not import each other's way up:
// yubikey knows no file formats, convert no devices.
package personalize

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/tokenctl/tokenctl/convert"
	"github.com/tokenctl/tokenctl/device"
	"github.com/tokenctl/tokenctl/seed"
	"github.com/tokenctl/tokenctl/yubikey"
)

// Options govern one write.
type Options struct {
	// Force writes without asking: over a programmed slot, and a delete
	// of an empty slot (else refused as having nothing to delete).
	Force bool
	// Confirm is asked, unless Force, before a programmed slot is
	// changed (question says what will happen); an error stops the write
	// and is returned. Nil refuses (*NotConfirmedError).
	Confirm func(question string) error
	// RetryNewCode, for Program: when the slot refuses the write for its
	// access code, try once more with the credential's new access code
	// (a re-write after an interrupted one, which may have taken and left
	// the slot protected by that code). No other refusal is retried.
	RetryNewCode bool
}

// NotConfirmedError is a change of a programmed slot that nobody
// confirmed (no Options.Confirm, no Force): nothing was written.
type NotConfirmedError struct{ Question string }

func (e *NotConfirmedError) Error() string {
	return e.Question + ": not confirmed, nothing written"
}

// UsageError: the caller must force or confirm (tokenctl exits 2).
func (e *NotConfirmedError) UsageError() bool { return true }

// AskConfirm is an Options.Confirm that asks the operator: the question
// and "Overwrite? [y/N]" on out, the answer read as a line from in; only
// "y" or "yes" confirm. Without a terminal to ask on (terminal false) it
// refuses, saying that --force is needed. A refusal is a usage error.
func AskConfirm(in io.Reader, out io.Writer, terminal bool) func(question string) error {
	return func(question string) error {
		if !terminal {
			return refused(question + ": not overwriting without --force (no terminal to ask on)")
		}
		fmt.Fprintf(out, "%s. Overwrite? [y/N] ", question)
		line, _ := bufio.NewReader(in).ReadString('\n')
		if a := strings.ToLower(strings.TrimSpace(line)); a != "y" && a != "yes" {
			return refused("not confirmed: nothing written")
		}
		return nil
	}
}

// refused is a change the operator did not confirm (AskConfirm).
type refused string

func (e refused) Error() string    { return string(e) }
func (e refused) UsageError() bool { return true }

// ErrEmpty is wrapped by Delete and Update for a slot that holds nothing.
var ErrEmpty = errors.New("empty")

// IncompleteError is an exchange that broke off during a write (not a
// refusal, which is a *yubikey.WriteError): the key may or may not hold
// the new configuration.
type IncompleteError struct{ Err error }

func (e *IncompleteError) Error() string {
	return e.Err.Error() + "\nthe YubiKey may or may not hold the new configuration: check it with 'tokenctl yubikey info' before trying again"
}
func (e *IncompleteError) Unwrap() error { return e.Err }

// DeviceError: tokenctl exits 3.
func (e *IncompleteError) DeviceError() bool { return true }

// writeErr tells a write that broke off from a refusal.
func writeErr(err error) error {
	var we *yubikey.WriteError
	if err == nil || errors.As(err, &we) {
		return err
	}
	return &IncompleteError{err}
}

func (o Options) confirm(format string, a ...any) error {
	q := fmt.Sprintf(format, a...)
	switch {
	case o.Force:
		return nil
	case o.Confirm == nil:
		return &NotConfirmedError{q}
	}
	return o.Confirm(q)
}

// Result reports a write; it is tokenctl's --json report.
type Result struct {
	Serial     yubikey.Serial `json:"serial"`
	Slot       yubikey.Slot   `json:"slot,omitempty"`
	Mode       string         `json:"mode"` // yubikey.Mode's name, or deleted, updated, swapped
	Transport  string         `json:"transport"`
	Device     string         `json:"device"`
	Firmware   string         `json:"firmware"`
	PublicID   string         `json:"public_id,omitempty"`
	AccessCode bool           `json:"access_code"`
	Log        string         `json:"log,omitempty"`
	LogFormat  string         `json:"log_format,omitempty"`
	// Unconfirmed: the key could not confirm the write
	// (yubikey.Session.Unconfirmed); Warning says what that means.
	Unconfirmed bool `json:"unconfirmed,omitempty"`

	mode yubikey.Mode // Program's
}

func result(k *device.YubiKey, slot yubikey.Slot, mode string) *Result {
	return &Result{Serial: k.Serial, Slot: slot, Mode: mode, Transport: string(k.Transport), Device: k.Where,
		Firmware: k.Session.Version().String(), Unconfirmed: k.Session.Unconfirmed()}
}

// String is the one-line report: "YubiKey 4711: slot 1 programmed with
// yubico-otp (public ID vv…), logged to okta.csv (yubico)".
func (r *Result) String() string {
	var s string
	switch r.Mode {
	case "deleted":
		s = fmt.Sprintf("slot %d deleted", r.Slot)
	case "updated":
		s = fmt.Sprintf("slot %d settings updated (access code: %v)", r.Slot, r.AccessCode)
	case "swapped":
		s = "slots swapped"
	default:
		verb := "programmed"
		if r.Unconfirmed {
			verb = "written (UNCONFIRMED)"
		}
		s = fmt.Sprintf("slot %d %s with %s", r.Slot, verb, r.Mode)
		if r.PublicID != "" {
			s += " (public ID " + r.PublicID + ")"
		}
		if r.Log != "" {
			s += fmt.Sprintf(", logged to %s (%s)", r.Log, r.LogFormat)
		}
	}
	return fmt.Sprintf("YubiKey %d: %s", r.Serial, s)
}

// Warning is, for an unconfirmed write, what the operator must know and
// do (else ""): the slot may still hold its previous configuration.
func (r *Result) Warning() string {
	if !r.Unconfirmed {
		return ""
	}
	var what, check string
	switch r.Mode {
	case "deleted":
		what, check = fmt.Sprintf("the deletion of slot %d", r.Slot), "Check it with 'tokenctl yubikey info'."
	case "updated":
		what, check = fmt.Sprintf("the settings update of slot %d", r.Slot), "If the access code was to change, the old one may still hold."
	case "swapped":
		what, check = "the swap of its slots", "Check what each slot does before relying on it."
	default:
		what, check = fmt.Sprintf("the write of slot %d", r.Slot), "Check the key before it is handed out"
		switch r.mode {
		case yubikey.ModeYubicoOTP:
			check += ": touch it and check what it types with 'tokenctl yubikey verify-otp'"
		case yubikey.ModeHOTP:
			check += ": touch it and compare the code with 'tokenctl code'"
		}
		if r.Log != "" {
			check += "; the credential was logged, since the key may hold it."
		} else {
			check += "."
		}
	}
	return fmt.Sprintf("WARNING: YubiKey %d could not confirm %s: firmware %s does not report over %s whether a write took, and the slot state cannot tell. A wrong or missing access code answers the same way: the slot may still hold its previous configuration. %s (Over USB HID the key does report it.)",
		r.Serial, what, r.Firmware, strings.ToUpper(r.Transport), check)
}

// Log (with a Path) is where Program records the credential the key gets: opened and
// prepared (convert.Output's Preflight and Prepare) before the key is
// written, so that a log that cannot take it stops the write; committed
// after it.
type Log struct {
	Path string
	// Format is the log format as the commands take it
	// (yubikey.LogFormat: yubico, traditional, duo, pskc or any writable
	// convert format).
	Format string
	// Options are the writer's (PSKC protection...); Manufacturer and
	// Model default to Yubico and YubiKey.
	Options *convert.Options
	// Given names where a supplied secret came from ("" when generated),
	// for the error when the record cannot be committed.
	Given string
	// Record commits out after the write (what names the key and slot);
	// nil: out.Commit, a failure reported by out.NotRecorded.
	Record func(out *convert.Output, what string) error
}

// FormatError is a log format that cannot take the credential.
type FormatError struct {
	Format string
	Err    error
}

func (e *FormatError) Error() string    { return fmt.Sprintf("--log-format %q: %v", e.Format, e.Err) }
func (e *FormatError) Unwrap() error    { return e.Err }
func (e *FormatError) UsageError() bool { return true }

// open opens l for t and prepares its record.
func (l *Log) open(t *seed.Token) (*convert.Output, error) {
	o := convert.Options{}
	if l.Options != nil {
		o = *l.Options
	}
	if o.Manufacturer == "" {
		o.Manufacturer = "Yubico"
	}
	if o.Model == "" {
		o.Model = "YubiKey"
	}
	out, err := convert.OpenOutput(l.Path, yubikey.LogFormat(l.Format, t.Kind), &o)
	if err != nil {
		return nil, &FormatError{l.Format, err}
	}
	if err = out.Preflight(t); err == nil {
		err = out.Prepare(t)
	}
	if err != nil {
		out.Close()
		return nil, fmt.Errorf("log: %w", err)
	}
	return out, nil
}

func (l *Log) record(out *convert.Output, what string) error {
	if l.Record != nil {
		return l.Record(out, what)
	}
	return out.NotRecorded(out.Commit(), what, l.Given)
}

// Program writes c into slot c.Slot of k: it builds the configuration for
// k's serial (c.Time, when zero, becomes now: the log's timestamp) (c.Build: a *yubikey.SettingError or invalid secrets stop it
// before anything else), prepares log (if not nil), asks before
// overwriting a programmed slot, writes with c.CurrentAccessCode and
// commits the log record. The key is written only when everything before
// succeeded; a failed commit after the write is the Record error (by
// default convert's *NotRecordedError).
func Program(k *device.YubiKey, c *yubikey.Credential, o Options, log *Log) (*Result, error) {
	if c.Time.IsZero() {
		c.Time = time.Now()
	}
	cfg, tok, err := c.Build(k.Serial)
	if err != nil {
		return nil, err
	}
	defer cfg.Wipe()
	defer tok.Wipe()
	var out *convert.Output
	if log != nil && log.Path != "" {
		if out, err = log.open(tok); err != nil {
			return nil, err
		}
		defer out.Close()
	}
	if k.Session.Configured(c.Slot) {
		if err := o.confirm("slot %d of YubiKey %d is programmed", c.Slot, k.Serial); err != nil {
			return nil, err
		}
	}
	err = k.Session.Put(c.Slot, cfg, c.CurrentAccessCode)
	if errors.Is(err, yubikey.ErrAccessCode) && o.RetryNewCode && c.AccessCode != nil {
		err = k.Session.Put(c.Slot, cfg, c.AccessCode)
	}
	if err != nil {
		return nil, writeErr(err)
	}
	r := result(k, c.Slot, c.Mode.String())
	r.mode, r.AccessCode = c.Mode, c.AccessCode != nil
	if c.Mode == yubikey.ModeYubicoOTP {
		r.PublicID = yubikey.Modhex(cfg.Fixed)
	}
	if out != nil {
		if err := log.record(out, fmt.Sprintf("YubiKey %d slot %d", k.Serial, c.Slot)); err != nil {
			return nil, err
		}
		r.Log, r.LogFormat = log.Path, out.Format.Name
	}
	return r, nil
}

// Delete deletes the configuration of slot (cur: its access code), after
// a confirmation. An empty slot is an error wrapping ErrEmpty, unless
// forced.
func Delete(k *device.YubiKey, slot yubikey.Slot, cur yubikey.AccessCode, o Options) (*Result, error) {
	if !k.Session.Configured(slot) {
		if !o.Force {
			return nil, fmt.Errorf("slot %d of YubiKey %d is %w: nothing to delete", slot, k.Serial, ErrEmpty)
		}
	} else if err := o.confirm("slot %d of YubiKey %d is programmed; deleting it", slot, k.Serial); err != nil {
		return nil, err
	}
	if err := k.Session.Delete(slot, cur); err != nil {
		return nil, writeErr(err)
	}
	return result(k, slot, "deleted"), nil
}

// Update rewrites the settings of a programmed slot, keeping its secret,
// as ykman's "otp settings" does: the access code becomes next (nil:
// none; cur is the current one) and Enter follows the output when enter.
// Settings not given get their defaults. Always confirmed; an empty slot
// is an error wrapping ErrEmpty.
func Update(k *device.YubiKey, slot yubikey.Slot, enter bool, cur, next yubikey.AccessCode, o Options) (*Result, error) {
	if !k.Session.Configured(slot) {
		return nil, fmt.Errorf("slot %d of YubiKey %d is %w: nothing to update", slot, k.Serial, ErrEmpty)
	}
	if err := o.confirm("slot %d of YubiKey %d: its settings will be rewritten", slot, k.Serial); err != nil {
		return nil, err
	}
	cfg := yubikey.UpdateConfig(enter)
	if err := cfg.SetAccessCode(next); err != nil {
		return nil, err
	}
	if err := k.Session.Update(slot, cfg, cur); err != nil {
		return nil, writeErr(err)
	}
	r := result(k, slot, "updated")
	r.AccessCode = next != nil
	return r, nil
}

// Swap swaps the configurations of slots 1 and 2, after a confirmation
// when either is programmed.
func Swap(k *device.YubiKey, o Options) (*Result, error) {
	if k.Session.Configured(yubikey.Slot1) || k.Session.Configured(yubikey.Slot2) {
		if err := o.confirm("YubiKey %d: swapping its slots", k.Serial); err != nil {
			return nil, err
		}
	}
	if err := k.Session.Swap(); err != nil {
		return nil, writeErr(err)
	}
	return result(k, 0, "swapped"), nil
}
