package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/tokenctl/tokenctl/convert"
	"github.com/tokenctl/tokenctl/csvfmt"
	"github.com/tokenctl/tokenctl/hid"
	"github.com/tokenctl/tokenctl/internal/exitcode"
	"github.com/tokenctl/tokenctl/internal/fsutil"
	"github.com/tokenctl/tokenctl/internal/secretin"
	"github.com/tokenctl/tokenctl/nfc"
	"github.com/tokenctl/tokenctl/seed"
	"github.com/tokenctl/tokenctl/yubikey"
)

func init() { register(newYubiKeyCmd) }

func newYubiKeyCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "yubikey",
		Short: "Personalize YubiKey OTP slots (Yubico OTP, OATH-HOTP, challenge-response) over USB or NFC",
		Long: `Program the two OTP slots of a YubiKey the way Yubico's tools do (ykman's
defaults, byte for byte), over USB HID or a PC/SC reader (NFC or USB CCID),
and log each programmed key to the Personalization Tool's formats (Okta's
"Yubico format"), Duo's import lines or PSKC.

The serial number is read before any write and keys every log line.
A programmed slot is never overwritten without a confirmation on the
terminal or --force. Secrets come from files, standard input or
environment variables, or are generated (--generate, which needs --log:
a key never gives a secret back); access codes from
--access-code-file/--access-code-env (the slot's current code) and
--new-access-code-file/--new-access-code-env.`,
		Example: `  tokenctl yubikey info
  tokenctl yubikey otp 1 --generate --log okta.csv --log-format yubico
  tokenctl yubikey hotp 2 --secret-file seed.b32 --digits 8 --log duo.csv --log-format duo
  tokenctl yubikey chalresp 2 --generate --touch --log keys.csv
  tokenctl yubikey settings 1 --new-access-code-file code.hex --force
  tokenctl yubikey delete 1 --access-code-file code.hex --force
  tokenctl yubikey verify-otp --log okta.csv   # then touch the key: it types the OTP`,
	}
	c.AddCommand(newYKInfoCmd(), newYKOTPCmd(), newYKHOTPCmd(), newYKChalRespCmd(), newYKDeleteCmd(), newYKSwapCmd(), newYKSettingsCmd(), newYKVerifyCmd())
	return c
}

// ykConn are the flags that choose a key.
type ykConn struct {
	transport string
	reader    string
	serial    uint32
	serialStr string
	wait      time.Duration
}

func (o *ykConn) add(c *cobra.Command) {
	c.Flags().StringVar(&o.transport, "transport", "", "hid (USB keyboard interface) or ccid (PC/SC reader, NFC); default: HID when a YubiKey is on USB, else PC/SC")
	c.Flags().StringVar(&o.reader, "reader", "", "PC/SC reader name or part of it (ccid)")
	c.Flags().StringVar(&o.serialStr, "serial", "", "the serial number of the key to use, when several are present (looked for on USB, then in each PC/SC reader holding a card)")
	c.Flags().DurationVar(&o.wait, "wait", 10*time.Second, "how long to wait for a key on the PC/SC reader")
}

// ykHIDList lists the YubiKeys on USB; tests replace it with emulators.
var ykHIDList = func() ([]ykHIDCandidate, error) {
	infos, err := hid.List()
	if err != nil {
		return nil, err
	}
	out := make([]ykHIDCandidate, len(infos))
	for i, in := range infos {
		out[i] = ykHIDCandidate{name: fmt.Sprintf("%s (USB %04x:%04x)", in.Product, hid.VendorYubico, in.ProductID), open: in.Open}
	}
	return out, nil
}

type ykHIDCandidate struct {
	name string
	open func() (hid.FeatureDevice, error)
}

// ykDevice is an open key.
type ykDevice struct {
	s         *yubikey.Session
	transport yubikey.Transport
	where     string
	close     func()
}

func (d *ykDevice) Close() {
	if d.close != nil {
		d.close()
	}
}

func (o *ykConn) parse() error {
	switch o.transport {
	case "", "hid", "ccid":
	case "nfc", "pcsc":
		o.transport = "ccid"
	default:
		return usagef("--transport %q: want hid or ccid", o.transport)
	}
	if o.transport == "hid" && o.reader != "" {
		return usagef("--reader names a PC/SC reader: it goes with --transport ccid, not hid")
	}
	if o.serialStr != "" {
		n, err := strconv.ParseUint(o.serialStr, 10, 32)
		if err != nil {
			return usagef("--serial %q: not a YubiKey serial number", o.serialStr)
		}
		o.serial = uint32(n)
	}
	return nil
}

// open finds the key, opens the OTP application and reads its serial.
func (o *ykConn) open(ctx context.Context, errw io.Writer) (*ykDevice, uint32, error) {
	if err := o.parse(); err != nil {
		return nil, 0, err
	}
	var cands []ykHIDCandidate
	if o.transport != "ccid" {
		var err error
		cands, err = ykHIDList()
		if err != nil && o.transport == "hid" {
			return nil, 0, exitcode.DeviceErr(err)
		}
		if o.transport == "hid" && len(cands) == 0 {
			return nil, 0, exitcode.DeviceErr(errors.New("no YubiKey with an OTP interface on USB"))
		}
	}
	if len(cands) > 0 && o.reader == "" {
		d, serial, err := o.openHID(cands)
		if err == nil || o.transport == "hid" || !errors.Is(err, errNoSuchSerial) {
			return d, serial, err
		}
		// Not on USB: the key asked for may be on a PC/SC reader (NFC).
		d, serial, err2 := o.openCCID(ctx, errw)
		if err2 != nil {
			return nil, 0, exitcode.DeviceErr(fmt.Errorf("%v; %w", err, err2))
		}
		return d, serial, nil
	}
	return o.openCCID(ctx, errw)
}

// errNoSuchSerial is not finding the key with the --serial asked for.
var errNoSuchSerial = errors.New("no YubiKey with serial")

// openHID opens the one key on USB, or the one with --serial. Every
// device it opened and does not return is closed, whatever fails.
func (o *ykConn) openHID(cands []ykHIDCandidate) (_ *ykDevice, _ uint32, err error) {
	var found []*ykDevice
	var serials []uint32
	defer func() {
		if err != nil {
			for _, d := range found {
				d.Close()
			}
		}
	}()
	var skipped []string // with --serial: keys that could not be asked
	for _, c := range cands {
		if o.serial != 0 && len(found) == 1 {
			break // serials are unique: the others stay unopened
		}
		dev, err := c.open()
		if err != nil {
			if o.serial != 0 {
				skipped = append(skipped, err.Error())
				continue
			}
			return nil, 0, exitcode.DeviceErr(err)
		}
		s, err := yubikey.NewSession(hid.NewOTP(dev))
		if err != nil {
			dev.Close()
			err = fmt.Errorf("%s: %w", c.name, err)
			if o.serial != 0 {
				skipped = append(skipped, err.Error())
				continue
			}
			return nil, 0, exitcode.DeviceErr(err)
		}
		serial, err := s.Serial()
		if err != nil {
			dev.Close()
			if o.serial != 0 {
				skipped = append(skipped, fmt.Sprintf("%s: %v", c.name, err))
				continue
			}
			return nil, 0, exitcode.DeviceErr(fmt.Errorf("%s: %w (is SERIAL_API_VISIBLE off on this key?)", c.name, err))
		}
		if o.serial != 0 && serial != o.serial {
			dev.Close()
			continue
		}
		found = append(found, &ykDevice{s: s, transport: yubikey.TransportHID, where: c.name, close: func() { dev.Close() }})
		serials = append(serials, serial)
	}
	switch {
	case len(found) == 0:
		why := ""
		if len(skipped) > 0 {
			why = " (not asked: " + strings.Join(skipped, "; ") + ")"
		}
		return nil, 0, exitcode.DeviceErr(fmt.Errorf("%w %d on USB%s", errNoSuchSerial, o.serial, why))
	case len(found) > 1:
		return nil, 0, usagef("%d YubiKeys on USB (serials %v): choose one with --serial", len(found), serials)
	}
	return found[0], serials[0], nil
}

func (o *ykConn) openCCID(ctx context.Context, errw io.Writer) (*ykDevice, uint32, error) {
	pc, err := nfc.NewContext()
	if err != nil {
		return nil, 0, exitcode.DeviceErr(fmt.Errorf("no YubiKey on USB HID, and PC/SC is not available: %w", err))
	}
	if o.serial != 0 && o.reader == "" {
		readers, err := pc.Readers()
		if err != nil {
			pc.Release()
			return nil, 0, exitcode.DeviceErr(err)
		}
		if len(readers) > 1 {
			return o.openCCIDBySerial(ctx, errw, pc, readers)
		}
	}
	reader, err := pc.FindReader(o.reader)
	if err != nil {
		pc.Release()
		return nil, 0, exitcode.DeviceErr(err)
	}
	card, err := pc.Connect(reader)
	if err != nil && nfc.Removed(err) {
		if isTerminal(errw) {
			fmt.Fprintf(errw, "present the YubiKey to %s...\n", reader)
		}
		wctx, cancel := context.WithTimeout(ctx, o.wait)
		err = pc.WaitForCard(wctx, reader)
		cancel()
		if err == nil {
			card, err = pc.Connect(reader)
		}
	}
	if err != nil {
		pc.Release()
		return nil, 0, exitcode.DeviceErr(err)
	}
	d, serial, err := ccidSession(card)
	if err != nil {
		pc.Release()
		return nil, 0, exitcode.DeviceErr(err)
	}
	if o.serial != 0 && serial != o.serial {
		d.Close()
		pc.Release()
		return nil, 0, exitcode.DeviceErr(fmt.Errorf("reader %q holds YubiKey %d, not %d", reader, serial, o.serial))
	}
	d.close = func() { card.Close(); pc.Release() }
	return d, serial, nil
}

// ccidSession selects the OTP application on card and reads the key's
// status and serial: nothing is written. On failure the card is closed;
// on success closing the device closes the card.
func ccidSession(card *nfc.Card) (*ykDevice, uint32, error) {
	reader := card.Reader()
	b, err := yubikey.NewCCID(card)
	if err != nil {
		card.Close()
		return nil, 0, fmt.Errorf("reader %q: %w", reader, err)
	}
	s, err := yubikey.NewSession(b)
	if err != nil {
		card.Close()
		return nil, 0, fmt.Errorf("reader %q: %w", reader, err)
	}
	serial, err := s.Serial()
	if err != nil {
		card.Close()
		return nil, 0, fmt.Errorf("reader %q: %w (is SERIAL_API_VISIBLE off on this key?)", reader, err)
	}
	return &ykDevice{s: s, transport: yubikey.TransportCCID, where: reader, close: func() { card.Close() }}, serial, nil
}

// openCCIDBySerial finds the key with --serial among several PC/SC readers:
// each reader holding a card is opened in turn, read-only (select the OTP
// application, read the serial), and released unless it is the key asked
// for. When no reader holds a card, it waits (--wait) for one to arrive.
func (o *ykConn) openCCIDBySerial(ctx context.Context, errw io.Writer, pc *nfc.Context, readers []string) (*ykDevice, uint32, error) {
	var seen []string
	scan := func() (*ykDevice, uint32, bool) {
		seen = seen[:0]
		anyCard := false
		for _, r := range readers {
			card, err := pc.Connect(r)
			if err != nil {
				if nfc.Removed(err) {
					seen = append(seen, fmt.Sprintf("%q: no card", r))
				} else {
					anyCard = true
					seen = append(seen, err.Error())
				}
				continue
			}
			anyCard = true
			d, serial, err := ccidSession(card)
			switch {
			case err != nil:
				seen = append(seen, err.Error())
			case serial != o.serial:
				d.Close()
				seen = append(seen, fmt.Sprintf("%q: YubiKey %d", r, serial))
			default:
				d.close = func() { card.Close(); pc.Release() }
				return d, serial, true
			}
		}
		return nil, 0, anyCard
	}
	d, serial, anyCard := scan()
	if d == nil && !anyCard {
		if isTerminal(errw) {
			fmt.Fprintf(errw, "present YubiKey %d to one of the readers...\n", o.serial)
		}
		wctx, cancel := context.WithTimeout(ctx, o.wait)
		_, err := pc.WaitForAnyCard(wctx, readers)
		cancel()
		if err == nil {
			d, serial, _ = scan()
		}
	}
	if d == nil {
		pc.Release()
		return nil, 0, exitcode.DeviceErr(fmt.Errorf("%w %d in any PC/SC reader: %s", errNoSuchSerial, o.serial, strings.Join(seen, "; ")))
	}
	return d, serial, nil
}

func parseSlot(arg string) (int, error) {
	switch arg {
	case "1":
		return 1, nil
	case "2":
		return 2, nil
	}
	return 0, usagef("slot %q: a YubiKey has slots 1 and 2", arg)
}

// ykWrite are the flags of every command that writes a slot.
type ykWrite struct {
	conn      ykConn
	force     bool
	curCode   *secretin.Source
	newCode   *secretin.Source
	clearCode bool
	logFile   string
	logFormat string
	pskc      func(o *convert.Options) error
}

func (w *ykWrite) add(c *cobra.Command, withLog bool) {
	w.conn.add(c)
	c.Flags().BoolVarP(&w.force, "force", "f", false, "overwrite a programmed slot without asking")
	w.curCode = secretFlags(c, "access-code", "the slot's current access code (12 hex digits)")
	if withLog {
		w.newCode = secretFlags(c, "new-access-code", "the access code to protect the slot with (12 hex digits; default: keep the current one)")
		c.Flags().BoolVar(&w.clearCode, "clear-access-code", false, "leave the slot without access code")
		c.Flags().StringVar(&w.logFile, "log", "", "append the programmed credential to this file (0600)")
		c.Flags().StringVar(&w.logFormat, "log-format", "yubico", "log format: yubico (Personalization Tool, Okta), traditional, duo, pskc, entra, or any writable format")
		w.pskc = pskcFlags(c)
	}
}

func readCode(src *secretin.Source, what string) ([]byte, error) {
	if src == nil || !src.IsSet() {
		return nil, nil
	}
	s, err := src.Read()
	if err != nil {
		return nil, usagef("%s: %v", what, err)
	}
	b, err := seed.DecodeHex(s)
	if err != nil || len(b) != yubikey.AccessCodeSize {
		return nil, exitcode.DataErr(fmt.Errorf("%s: want %d bytes as %d hex digits", what, yubikey.AccessCodeSize, 2*yubikey.AccessCodeSize))
	}
	return b, nil
}

// codes reads the current and the new access code. Like ykman, the new
// code defaults to the current one.
func (w *ykWrite) codes() (cur, next []byte, err error) {
	if cur, err = readCode(w.curCode, "access code"); err != nil {
		return nil, nil, err
	}
	if w.newCode != nil {
		if w.clearCode && w.newCode.IsSet() {
			return nil, nil, usagef("--clear-access-code conflicts with --new-access-code-file/-env")
		}
		if next, err = readCode(w.newCode, "new access code"); err != nil {
			return nil, nil, err
		}
	}
	if next == nil && !w.clearCode {
		next = cur
	}
	return cur, next, nil
}

// logTarget resolves --log-format for a token of this kind.
func (w *ykWrite) logTarget(t *seed.Token) (string, error) {
	f := strings.ToLower(w.logFormat)
	switch f {
	case "yubico", "okta":
		return "yubico", nil
	case "traditional":
		return "yubico-traditional", nil
	case "duo":
		if t.Kind == seed.YubicoOTP {
			return "duo-yubikey", nil
		}
		return "duo", nil
	}
	if _, ok := convert.Lookup(f); !ok {
		return "", usagef("--log-format %q: unknown format (see tokenctl formats)", w.logFormat)
	}
	return f, nil
}

// ownLog says whether a format is one of the Personalization Tool logs,
// which list every programming (several lines per key are normal).
func ownLog(format string) bool { return format == "yubico" || format == "yubico-traditional" }

// preflightLog checks, before the key is touched, that the log can take
// the token: the format's rules, the file's mode, and for import formats a
// serial not already there.
func (w *ykWrite) preflightLog(t *seed.Token) (string, *convert.Options, error) {
	if w.logFile == "" {
		return "", nil, nil
	}
	format, err := w.logTarget(t)
	if err != nil {
		return "", nil, err
	}
	opts := &convert.Options{Manufacturer: "Yubico", Model: "YubiKey"}
	if w.pskc != nil {
		if err := w.pskc(opts); err != nil {
			return "", nil, err
		}
	}
	probs, err := convert.Check(format, t)
	if err != nil {
		return "", nil, conversionError(err)
	}
	for _, p := range probs {
		if !p.Warning {
			return "", nil, exitcode.DataErr(fmt.Errorf("--log-format %s cannot hold this credential: %s: %s", w.logFormat, p.Field, p.Msg))
		}
	}
	// The file must be appendable by us and private.
	if err := fsutil.CheckAppendable(w.logFile); err != nil {
		return "", nil, exitcode.DataErr(fmt.Errorf("log: %w", err))
	}
	// Rehearse the append on a copy, so that whatever the format refuses
	// (a serial already there, a token type the file does not take...) is
	// refused before the key is written.
	if err := rehearseAppend(w.logFile, format, t, opts); err != nil {
		return "", nil, err
	}
	return format, opts, nil
}

// rehearseAppend appends t to a private copy of the log and throws the
// copy away.
func rehearseAppend(path, format string, t *seed.Token, opts *convert.Options) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".check-*")
	if err != nil {
		return exitcode.DataErr(fmt.Errorf("log %s: %w", path, err))
	}
	name := tmp.Name()
	defer os.Remove(name)
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if src, err := os.Open(path); err == nil {
		_, err = io.Copy(tmp, src)
		src.Close()
		if err != nil {
			tmp.Close()
			return err
		}
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	// The rehearsal writes a copy: whatever a writer does to the token
	// (fills in defaults, wipes it) must not reach the one programmed.
	c := *t
	c.Secret = append([]byte(nil), t.Secret...)
	c.PrivateID = append([]byte(nil), t.PrivateID...)
	c.Labels = maps.Clone(t.Labels)
	defer c.Wipe()
	if ownLog(format) {
		f, _ := convert.Lookup(format)
		wr, err := f.Create(io.Discard, opts)
		if err == nil {
			err = wr.Write(&c)
		}
		if err != nil {
			return exitcode.DataErr(fmt.Errorf("log %s: %w", path, err))
		}
		return nil
	}
	if err := convert.AppendFile(name, format, &c, opts); err != nil {
		msg := fmt.Errorf("log %s: %s", path, strings.ReplaceAll(err.Error(), name, path))
		var ue *convert.UsageError
		if errors.As(err, &ue) {
			return exitcode.UsageErr(msg)
		}
		return exitcode.DataErr(msg)
	}
	return nil
}

// appendLog writes the token to the log: one appending write.
func (w *ykWrite) appendLog(format string, opts *convert.Options, t *seed.Token) error {
	if w.logFile == "" {
		return nil
	}
	if !ownLog(format) {
		return convert.AppendFile(w.logFile, format, t, opts)
	}
	f, _ := convert.Lookup(format)
	var buf bytes.Buffer
	wr, err := f.Create(&buf, opts)
	if err != nil {
		return err
	}
	if err := wr.Write(t); err != nil {
		return err
	}
	if err := wr.Close(); err != nil {
		return err
	}
	defer seed.Zero(buf.Bytes())
	return fsutil.Append(w.logFile, buf.Bytes())
}

// confirmOverwrite asks before a programmed slot is replaced.
func confirmOverwrite(c *cobra.Command, force bool, what string) error {
	if force {
		return nil
	}
	in, ok := c.InOrStdin().(*os.File)
	if !ok || !isTerminal(in) || !isTerminal(c.ErrOrStderr()) {
		return usagef("%s: not overwriting without --force (no terminal to ask on)", what)
	}
	fmt.Fprintf(c.ErrOrStderr(), "%s. Overwrite? [y/N] ", what)
	line, _ := bufio.NewReader(in).ReadString('\n')
	if a := strings.ToLower(strings.TrimSpace(line)); a != "y" && a != "yes" {
		return exitcode.UsageErr(errors.New("not confirmed: nothing written"))
	}
	return nil
}

// writeErr gives a session error its exit code: a refused write and
// transport failures are device errors (3).
func writeErr(err error) error {
	if err == nil {
		return nil
	}
	var ee *exitcode.Error
	if errors.As(err, &ee) {
		return err
	}
	var we *yubikey.WriteError
	if !errors.As(err, &we) {
		// The exchange broke off: the key may or may not have taken it.
		err = fmt.Errorf("%w\nthe YubiKey may or may not hold the new configuration: check it with 'tokenctl yubikey info' before trying again", err)
	}
	return exitcode.DeviceErr(err)
}

// ykResult is the --json report of a programming command.
type ykResult struct {
	Serial     uint32 `json:"serial"`
	Slot       int    `json:"slot,omitempty"`
	Mode       string `json:"mode"`
	Transport  string `json:"transport"`
	Device     string `json:"device"`
	Firmware   string `json:"firmware"`
	PublicID   string `json:"public_id,omitempty"`
	AccessCode bool   `json:"access_code"`
	Log        string `json:"log,omitempty"`
	LogFormat  string `json:"log_format,omitempty"`
	// Unconfirmed: the key answered 90 00 but could not confirm the write
	// (firmware 5.0.0-5.4.2 over CCID); the slot may hold the old
	// configuration still.
	Unconfirmed bool `json:"unconfirmed,omitempty"`
}

// result is the --json report of a write on this key.
func (d *ykDevice) result(serial uint32, slot int, mode string) ykResult {
	return ykResult{Serial: serial, Slot: slot, Mode: mode, Transport: string(d.transport), Device: d.where, Firmware: d.s.Version().String(), Unconfirmed: d.s.Unconfirmed()}
}

// warnUnconfirmed tells, on standard error (with --json too), that the
// last write could not be confirmed; check says how to check the key.
func (d *ykDevice) warnUnconfirmed(c *cobra.Command, serial uint32, what, check string) {
	if !d.s.Unconfirmed() {
		return
	}
	fmt.Fprintf(c.ErrOrStderr(), "WARNING: YubiKey %d could not confirm %s: firmware %s does not report over %s whether a write took, and the slot state cannot tell. A wrong or missing access code answers the same way: the slot may still hold its previous configuration. %s (Over USB HID the key does report it.)\n",
		serial, what, d.s.Version(), strings.ToUpper(string(d.transport)), check)
}

// report prints res as JSON on standard output with --json, or msg on
// standard error.
func report(c *cobra.Command, res ykResult, msg string) error {
	if global.JSON {
		return writeJSON(c.OutOrStdout(), res)
	}
	fmt.Fprintln(c.ErrOrStderr(), msg)
	return nil
}

// slotOp is what delete and settings work on: a slot of an open key and
// the access codes given.
type slotOp struct {
	slot      int
	cur, next []byte
	dev       *ykDevice
	serial    uint32
}

// openSlot parses the slot argument, reads the access codes and opens the
// key.
func (w *ykWrite) openSlot(c *cobra.Command, arg string) (*slotOp, error) {
	slot, err := parseSlot(arg)
	if err != nil {
		return nil, err
	}
	o := &slotOp{slot: slot}
	if o.cur, o.next, err = w.codes(); err != nil {
		return nil, err
	}
	if o.dev, o.serial, err = w.conn.open(c.Context(), c.ErrOrStderr()); err != nil {
		o.close()
		return nil, err
	}
	return o, nil
}

// close closes the key and wipes the access codes.
func (o *slotOp) close() {
	if o.dev != nil {
		o.dev.Close()
	}
	seed.Zero(o.cur)
	seed.Zero(o.next)
}

// program runs the common part of otp, hotp and chalresp: open, check,
// confirm, write, log.
func (w *ykWrite) program(c *cobra.Command, slot int, mode string, build func(serial uint32) (*yubikey.Config, *seed.Token, error)) error {
	cur, next, err := w.codes()
	if err != nil {
		return err
	}
	defer seed.Zero(cur)
	defer seed.Zero(next)
	dev, serial, err := w.conn.open(c.Context(), c.ErrOrStderr())
	if err != nil {
		return err
	}
	defer dev.Close()
	cfg, tok, err := build(serial)
	if err != nil {
		return err
	}
	defer cfg.Wipe()
	defer tok.Wipe()
	if err := cfg.SetAccessCode(next); err != nil {
		return exitcode.DataErr(err)
	}
	tok.Serial = strconv.FormatUint(uint64(serial), 10)
	tok.Manufacturer, tok.Model = "Yubico", "YubiKey"
	tok.SetLabel(csvfmt.YubicoLabelSlot, strconv.Itoa(slot))
	tok.SetLabel(csvfmt.YubicoLabelTimestamp, time.Now().Format(csvfmt.YubicoTimeLayout))
	if next != nil {
		tok.SetLabel(csvfmt.YubicoLabelAccessCode, hex.EncodeToString(next))
	}
	if cur != nil {
		tok.SetLabel(csvfmt.YubicoLabelCurrentAccess, hex.EncodeToString(cur))
	}
	format, opts, err := w.preflightLog(tok)
	if err != nil {
		return err
	}
	if dev.s.Configured(slot) {
		if err := confirmOverwrite(c, w.force, fmt.Sprintf("slot %d of YubiKey %d is programmed", slot, serial)); err != nil {
			return err
		}
	}
	if err := dev.s.Put(slot, cfg, cur); err != nil {
		return writeErr(err)
	}
	res := dev.result(serial, slot, mode)
	res.AccessCode = next != nil
	if mode == "yubico-otp" {
		res.PublicID = yubikey.Modhex(cfg.Fixed)
	}
	if err := w.appendLog(format, opts, tok); err != nil {
		return exitcode.DataErr(fmt.Errorf("YubiKey %d slot %d WAS PROGRAMMED, but the log could not be written: %w; the secret is lost: delete or reprogram the slot", serial, slot, err))
	}
	if w.logFile != "" {
		res.Log, res.LogFormat = w.logFile, format
	}
	msg := fmt.Sprintf("YubiKey %d: slot %d programmed with %s", serial, slot, mode)
	if res.PublicID != "" {
		msg += " (public ID " + res.PublicID + ")"
	}
	if w.logFile != "" {
		msg += fmt.Sprintf(", logged to %s (%s)", w.logFile, format)
	}
	if res.Unconfirmed {
		msg = strings.Replace(msg, " programmed with ", " written (UNCONFIRMED) with ", 1)
		check := "Check the key before it is handed out"
		switch mode {
		case "yubico-otp":
			check += ": touch it and check what it types with 'tokenctl yubikey verify-otp'"
		case "oath-hotp":
			check += ": touch it and compare the code with 'tokenctl code'"
		}
		if w.logFile != "" {
			check += "; the credential was logged, since the key may hold it."
		} else {
			check += "."
		}
		dev.warnUnconfirmed(c, serial, fmt.Sprintf("the write of slot %d", slot), check)
	}
	return report(c, res, msg)
}

// readSecretBytes reads a secret as hex (or base32 when allowed).
func readSecretBytes(src *secretin.Source, what string, b32 bool) ([]byte, error) {
	s, err := src.Read()
	if err != nil {
		return nil, usagef("%s: %v", what, err)
	}
	if b, err := seed.DecodeHex(s); err == nil {
		return b, nil
	}
	if b32 {
		if b, err := seed.DecodeBase32(s); err == nil {
			return b, nil
		}
		return nil, exitcode.DataErr(fmt.Errorf("%s: neither hex nor base32", what))
	}
	return nil, exitcode.DataErr(fmt.Errorf("%s: not hex", what))
}

// hmacKey is the key of a HOTP or challenge-response slot: generated (20
// bytes) or read as hex (or base32 when b32), 1 to 20 bytes.
func hmacKey(generate bool, src *secretin.Source, what string, b32 bool) ([]byte, error) {
	if generate == src.IsSet() {
		return nil, usagef("give the key with --secret-file or --secret-env, or --generate (one of them)")
	}
	if generate {
		return seed.Generate(yubikey.HMACKeySize)
	}
	k, err := readSecretBytes(src, what, b32)
	if err != nil {
		return nil, err
	}
	if len(k) > yubikey.HMACKeySize || len(k) == 0 {
		seed.Zero(k)
		return nil, exitcode.DataErr(fmt.Errorf("%s: %d bytes, a YubiKey slot takes 1 to %d", what, len(k), yubikey.HMACKeySize))
	}
	return k, nil
}

// keepGenerated refuses, before the key is touched, a generated secret
// that nothing would keep: the key never gives a secret back, so without
// --log nobody (no server, no backup key) could ever be told it.
func (w *ykWrite) keepGenerated(generate bool, what string) error {
	if generate && w.logFile == "" {
		return usagef("--generate without --log: the generated %s would be written to the key and kept nowhere; give --log FILE, or bring the secret with --secret-file/--secret-env", what)
	}
	return nil
}

func newYKOTPCmd() *cobra.Command {
	var w ykWrite
	var publicID string
	var randomID, noEnter, noSerialAPI, generate bool
	var key, priv *secretin.Source
	c := &cobra.Command{
		Use:   "otp SLOT",
		Short: "Program a Yubico OTP credential (AES-128) into slot 1 or 2",
		Long: `Program a Yubico OTP credential. The public ID is, by default, ykman's
serial-based one (FF 00 + the serial: "vvcc..."); --public-id gives one in
modhex, --random-public-id draws a random one starting with "vv". The AES
key (32 hex digits) and the private ID (12 hex digits) come from files or
environment variables, or are generated with --generate (then --log is
required: it is the only place the generated credential is kept).`,
		Example: `  tokenctl yubikey otp 1 --generate --log okta.csv --log-format yubico
  tokenctl yubikey otp 2 --generate --random-public-id --log duo.csv --log-format duo
  tokenctl yubikey otp 1 --secret-file aes.hex --private-id-file pid.hex --public-id vvcccccccccb`,
		Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			slot, err := parseSlot(args[0])
			if err != nil {
				return err
			}
			if publicID != "" && randomID {
				return usagef("--public-id conflicts with --random-public-id")
			}
			if generate && key.IsSet() {
				return usagef("--generate conflicts with --secret-file/--secret-env")
			}
			if !generate && !key.IsSet() {
				return usagef("give the AES key with --secret-file or --secret-env, or --generate")
			}
			if err := w.keepGenerated(generate, "AES key and private ID"); err != nil {
				return err
			}
			var pub []byte
			if publicID != "" {
				if pub, err = yubikey.ParseModhex(publicID); err != nil || len(pub) > yubikey.FixedSize {
					return exitcode.DataErr(fmt.Errorf("--public-id %q: want modhex of at most 16 bytes", publicID))
				}
			}
			var aes, pid []byte
			if generate {
				aes, _ = seed.Generate(16)
			} else if aes, err = readSecretBytes(key, "AES key", false); err != nil {
				return err
			}
			defer seed.Zero(aes) // also when the key is never reached
			if len(aes) != 16 {
				return exitcode.DataErr(fmt.Errorf("AES key: %d bytes, want 16", len(aes)))
			}
			if priv.IsSet() {
				if pid, err = readSecretBytes(priv, "private ID", false); err != nil {
					return err
				}
			} else if generate {
				pid, _ = seed.Generate(6)
			} else {
				return usagef("give the private ID with --private-id-file or --private-id-env, or --generate")
			}
			defer seed.Zero(pid)
			if len(pid) != 6 {
				return exitcode.DataErr(fmt.Errorf("private ID: %d bytes, want 6", len(pid)))
			}
			if randomID {
				r, _ := seed.Generate(5)
				pub = append([]byte{0xFF}, r...)
			}
			return w.program(c, slot, "yubico-otp", func(serial uint32) (*yubikey.Config, *seed.Token, error) {
				p := pub
				if p == nil {
					p = yubikey.SerialPublicID(serial)
				}
				cfg, err := yubikey.YubicoOTPConfig(p, pid, aes)
				if err != nil {
					return nil, nil, exitcode.DataErr(err)
				}
				cfg.SetAppendCR(!noEnter).SetSerialAPIVisible(!noSerialAPI)
				tok := &seed.Token{Kind: seed.YubicoOTP, PublicID: p, PrivateID: pid, Secret: aes}
				return cfg, tok, nil
			})
		},
	}
	w.add(c, true)
	key = secretFlags(c, "", "the AES key (32 hex digits)")
	priv = secretFlags(c, "private-id", "the private ID (12 hex digits)")
	c.Flags().BoolVar(&generate, "generate", false, "generate the AES key and the private ID (needs --log, which keeps them)")
	c.Flags().StringVar(&publicID, "public-id", "", "public ID in modhex (default: from the serial, vv...)")
	c.Flags().BoolVar(&randomID, "random-public-id", false, "a random public ID with the vv prefix")
	c.Flags().BoolVar(&noEnter, "no-enter", false, "do not send Enter after the OTP")
	c.Flags().BoolVar(&noSerialAPI, "no-serial-api-visible", false, "hide the serial number from the API (breaks serial-keyed inventories)")
	return c
}

func newYKHOTPCmd() *cobra.Command {
	var w ykWrite
	var digits int
	var counter uint32
	var identifier string
	var noEnter, noSerialAPI, generate bool
	var key *secretin.Source
	c := &cobra.Command{
		Use:   "hotp SLOT",
		Short: "Program an OATH-HOTP credential (HMAC-SHA1) into slot 1 or 2",
		Long: `Program an OATH-HOTP credential: a key of up to 20 bytes (hex or base32)
from a file or environment variable, or generated (20 bytes, kept in
--log, which --generate requires); 6 or 8 digits; an initial counter that
is a multiple of 16 (at most 1048560); an optional token identifier typed
before the code (ykman's --identifier: "-" or 4 characters = OMP TT and
the serial, 8 = MUI after "ubhe", 12 = all).`,
		Example: `  tokenctl yubikey hotp 2 --generate --log duo.csv --log-format duo
  tokenctl yubikey hotp 1 --secret-file seed.b32 --digits 8 --counter 32 --identifier -`,
		Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			slot, err := parseSlot(args[0])
			if err != nil {
				return err
			}
			if err := w.keepGenerated(generate, "HOTP key"); err != nil {
				return err
			}
			k, err := hmacKey(generate, key, "HOTP key", true)
			if err != nil {
				return err
			}
			defer seed.Zero(k) // also when the key is never reached
			if digits != 6 && digits != 8 {
				return usagef("--digits %d: want 6 or 8", digits)
			}
			if counter%16 != 0 || counter > yubikey.MaxHOTPCounter {
				return usagef("--counter %d: want a multiple of 16 from 0 to %d", counter, yubikey.MaxHOTPCounter)
			}
			return w.program(c, slot, "oath-hotp", func(serial uint32) (*yubikey.Config, *seed.Token, error) {
				o := yubikey.HOTPOptions{Digits: digits, Counter: counter}
				if identifier != "" {
					var err error
					o.TokenID, o.FixedModhex1, o.FixedModhex2, err = yubikey.ParseTokenID(identifier, serial)
					if err != nil {
						return nil, nil, usagef("--identifier: %v", err)
					}
				}
				cfg, err := yubikey.HOTPConfig(k, o)
				if err != nil {
					return nil, nil, exitcode.DataErr(err)
				}
				cfg.SetAppendCR(!noEnter).SetSerialAPIVisible(!noSerialAPI)
				tok := &seed.Token{Kind: seed.HOTP, Hash: seed.SHA1, Digits: digits, Counter: uint64(counter), PublicID: o.TokenID, Secret: k}
				if o.FixedModhex1 {
					tok.SetLabel(csvfmt.YubicoLabelFixedModhex1, "1")
				}
				if o.FixedModhex2 {
					tok.SetLabel(csvfmt.YubicoLabelFixedModhex2, "1")
				}
				return cfg, tok, nil
			})
		},
	}
	w.add(c, true)
	key = secretFlags(c, "", "the HOTP key (hex or base32)")
	c.Flags().BoolVar(&generate, "generate", false, "generate a 20-byte key (needs --log, which keeps it)")
	c.Flags().IntVar(&digits, "digits", 6, "code length: 6 or 8")
	c.Flags().Uint32Var(&counter, "counter", 0, "initial counter (moving factor seed): a multiple of 16")
	c.Flags().StringVar(&identifier, "identifier", "", "token identifier typed before the code (OMP TT MUI; '-' = ubhe + serial)")
	c.Flags().BoolVar(&noEnter, "no-enter", false, "do not send Enter after the code")
	c.Flags().BoolVar(&noSerialAPI, "no-serial-api-visible", false, "hide the serial number from the API (breaks serial-keyed inventories)")
	return c
}

func newYKChalRespCmd() *cobra.Command {
	var w ykWrite
	var touch, noLT64, noSerialAPI, generate, discard bool
	var key *secretin.Source
	c := &cobra.Command{
		Use:   "chalresp SLOT",
		Short: "Program an HMAC-SHA1 challenge-response credential into slot 1 or 2",
		Long: `Program an HMAC-SHA1 challenge-response credential: a key of up to 20
bytes (hex) from a file or environment variable, or generated (20 bytes).
A generated key goes to --log: whoever verifies the responses, or a backup
key programmed with the same secret, needs it. Only with --discard-secret
is a generated key kept nowhere (this key alone will ever answer its
challenges: lose it and whatever it unlocks is lost too).`,
		Example: `  tokenctl yubikey chalresp 2 --generate --touch --log keys.csv --log-format yubico
  tokenctl yubikey chalresp 2 --secret-file hmac.hex --force`,
		Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			slot, err := parseSlot(args[0])
			if err != nil {
				return err
			}
			switch {
			case discard && !generate:
				return usagef("--discard-secret goes with --generate")
			case discard && w.logFile != "":
				return usagef("--discard-secret conflicts with --log")
			case !discard:
				if err := w.keepGenerated(generate, "HMAC key"); err != nil {
					return err
				}
			}
			k, err := hmacKey(generate, key, "HMAC key", false)
			if err != nil {
				return err
			}
			defer seed.Zero(k) // also when the key is never reached
			return w.program(c, slot, "chalresp-hmac", func(serial uint32) (*yubikey.Config, *seed.Token, error) {
				cfg, err := yubikey.ChalRespConfig(k, touch)
				if err != nil {
					return nil, nil, exitcode.DataErr(err)
				}
				cfg.SetLT64(!noLT64).SetSerialAPIVisible(!noSerialAPI)
				tok := &seed.Token{Hash: seed.SHA1, Secret: k}
				tok.SetLabel(csvfmt.YubicoLabelMode, csvfmt.YubicoModeChalResp)
				if touch {
					tok.SetLabel(csvfmt.YubicoLabelChalBtnTrig, "1")
				}
				if !noLT64 {
					tok.SetLabel(csvfmt.YubicoLabelHMACLT64, "1")
				}
				return cfg, tok, nil
			})
		},
	}
	w.add(c, true)
	key = secretFlags(c, "", "the HMAC-SHA1 key (hex, up to 20 bytes)")
	c.Flags().BoolVar(&generate, "generate", false, "generate a 20-byte key (kept in --log)")
	c.Flags().BoolVar(&discard, "discard-secret", false, "with --generate and no --log: keep the generated key nowhere (no backup key can ever be made)")
	c.Flags().BoolVar(&touch, "touch", false, "require a touch for each response")
	c.Flags().BoolVar(&noLT64, "no-lt64", false, "challenges are always 64 bytes (clears HMAC_LT64)")
	c.Flags().BoolVar(&noSerialAPI, "no-serial-api-visible", false, "hide the serial number from the API")
	return c
}

func newYKDeleteCmd() *cobra.Command {
	var w ykWrite
	c := &cobra.Command{
		Use:     "delete SLOT",
		Short:   "Delete the configuration of slot 1 or 2",
		Example: "  tokenctl yubikey delete 2 --force\n  tokenctl yubikey delete 1 --access-code-env YK_ACCESS --force",
		Args:    cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			o, err := w.openSlot(c, args[0])
			if err != nil {
				return err
			}
			defer o.close()
			slot, cur, dev, serial := o.slot, o.cur, o.dev, o.serial
			if !dev.s.Configured(slot) {
				if !w.force {
					return exitcode.DataErr(fmt.Errorf("slot %d of YubiKey %d is empty: nothing to delete", slot, serial))
				}
			} else if err := confirmOverwrite(c, w.force, fmt.Sprintf("slot %d of YubiKey %d is programmed; deleting it", slot, serial)); err != nil {
				return err
			}
			if err := dev.s.Delete(slot, cur); err != nil {
				return writeErr(err)
			}
			dev.warnUnconfirmed(c, serial, fmt.Sprintf("the deletion of slot %d", slot), "Check it with 'tokenctl yubikey info'.")
			return report(c, dev.result(serial, slot, "deleted"), fmt.Sprintf("YubiKey %d: slot %d deleted", serial, slot))
		},
	}
	w.add(c, false)
	return c
}

func newYKSettingsCmd() *cobra.Command {
	var w ykWrite
	var noEnter bool
	c := &cobra.Command{
		Use:   "settings SLOT",
		Short: "Change a programmed slot's access code and keyboard settings, keeping its secret",
		Long: `Update a programmed slot without touching its credential, as ykman's
"otp settings" does: set, change (--new-access-code-file/-env) or remove
(--clear-access-code) its access code, and whether Enter follows the
output. Settings not given are written with their defaults. The slot's
current access code, if any, is needed.`,
		Example: `  tokenctl yubikey settings 1 --new-access-code-file new.hex --force
  tokenctl yubikey settings 2 --access-code-env OLD --clear-access-code --force`,
		Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			o, err := w.openSlot(c, args[0])
			if err != nil {
				return err
			}
			defer o.close()
			slot, cur, next, dev, serial := o.slot, o.cur, o.next, o.dev, o.serial
			if !dev.s.Configured(slot) {
				return exitcode.DataErr(fmt.Errorf("slot %d of YubiKey %d is empty: nothing to update", slot, serial))
			}
			if err := confirmOverwrite(c, w.force, fmt.Sprintf("slot %d of YubiKey %d: its settings will be rewritten", slot, serial)); err != nil {
				return err
			}
			cfg := yubikey.UpdateConfig(!noEnter)
			if err := cfg.SetAccessCode(next); err != nil {
				return exitcode.DataErr(err)
			}
			if err := dev.s.Update(slot, cfg, cur); err != nil {
				return writeErr(err)
			}
			dev.warnUnconfirmed(c, serial, fmt.Sprintf("the settings update of slot %d", slot), "If the access code was to change, the old one may still hold.")
			res := dev.result(serial, slot, "updated")
			res.AccessCode = next != nil
			return report(c, res, fmt.Sprintf("YubiKey %d: slot %d settings updated (access code: %v)", serial, slot, next != nil))
		},
	}
	w.conn.add(c)
	c.Flags().BoolVarP(&w.force, "force", "f", false, "update without asking")
	w.curCode = secretFlags(c, "access-code", "the slot's current access code (12 hex digits)")
	w.newCode = secretFlags(c, "new-access-code", "the new access code (12 hex digits; default: keep the current one)")
	c.Flags().BoolVar(&w.clearCode, "clear-access-code", false, "remove the access code")
	c.Flags().BoolVar(&noEnter, "no-enter", false, "do not send Enter after the output")
	return c
}

func newYKSwapCmd() *cobra.Command {
	var w ykWrite
	c := &cobra.Command{
		Use:     "swap",
		Short:   "Swap the configurations of slots 1 and 2",
		Example: "  tokenctl yubikey swap --force",
		Args:    cobra.NoArgs,
		RunE: func(c *cobra.Command, args []string) error {
			dev, serial, err := w.conn.open(c.Context(), c.ErrOrStderr())
			if err != nil {
				return err
			}
			defer dev.Close()
			if dev.s.Configured(1) || dev.s.Configured(2) {
				if err := confirmOverwrite(c, w.force, fmt.Sprintf("YubiKey %d: swapping its slots", serial)); err != nil {
					return err
				}
			}
			if err := dev.s.Swap(); err != nil {
				return writeErr(err)
			}
			dev.warnUnconfirmed(c, serial, "the swap of its slots", "Check what each slot does before relying on it.")
			return report(c, dev.result(serial, 0, "swapped"), fmt.Sprintf("YubiKey %d: slots swapped", serial))
		},
	}
	w.conn.add(c)
	c.Flags().BoolVarP(&w.force, "force", "f", false, "swap without asking")
	return c
}

type ykInfo struct {
	Serial    uint32 `json:"serial"`
	Firmware  string `json:"firmware"`
	Transport string `json:"transport"`
	Device    string `json:"device"`
	Slot1     string `json:"slot1"`
	Slot2     string `json:"slot2"`
}

func newYKInfoCmd() *cobra.Command {
	var conn ykConn
	c := &cobra.Command{
		Use:     "info",
		Short:   "Show a YubiKey's serial number, firmware and which OTP slots are programmed",
		Example: "  tokenctl yubikey info\n  tokenctl yubikey info --transport ccid --reader 'Virtual PCD 00 01' --json",
		Args:    cobra.NoArgs,
		RunE: func(c *cobra.Command, args []string) error {
			dev, serial, err := conn.open(c.Context(), c.ErrOrStderr())
			if err != nil {
				return err
			}
			defer dev.Close()
			st := dev.s.Status()
			state := func(n int) string {
				if !st.Configured(n) {
					return "empty"
				}
				if st.Touch&(yubikey.StatusSlot1Touch<<(n-1)) != 0 {
					return "programmed (touch-triggered)"
				}
				return "programmed"
			}
			info := ykInfo{Serial: serial, Firmware: st.Version.String(), Transport: string(dev.transport), Device: dev.where, Slot1: state(1), Slot2: state(2)}
			if global.JSON {
				return writeJSON(c.OutOrStdout(), info)
			}
			fmt.Fprintf(c.OutOrStdout(), "Serial:    %d\nFirmware:  %s\nTransport: %s (%s)\nSlot 1:    %s\nSlot 2:    %s\n",
				info.Serial, info.Firmware, info.Transport, info.Device, info.Slot1, info.Slot2)
			return nil
		},
	}
	conn.add(c)
	return c
}

type ykVerifyResult struct {
	Valid          bool   `json:"valid"`
	PublicID       string `json:"public_id"`
	Serial         string `json:"serial,omitempty"`
	UseCounter     uint16 `json:"use_counter"`
	SessionCounter uint8  `json:"session_counter"`
	Timestamp      uint32 `json:"timestamp"`
}

func newYKVerifyCmd() *cobra.Command {
	var key, priv *secretin.Source
	var logFile, logFormat string
	var minCounter uint32
	var pskc func(o *convert.Options) error
	c := &cobra.Command{
		Use:   "verify-otp [OTP]",
		Short: "Check a Yubico OTP against its AES key and private ID (from a log, or given)",
		Long: `Decrypt a Yubico OTP (as a key types it: public ID and 32 modhex
characters) with its AES key, check its CRC and private ID, and print its
counters. The credential comes from a log written by 'tokenctl yubikey otp
--log' (looked up by public ID), or from --secret-file/--secret-env (AES key)
and --private-id-file/--private-id-env. The OTP is read from standard
input when not given. Exit code 1 when it does not verify.`,
		Example: `  tokenctl yubikey verify-otp --log okta.csv   # then touch the key: it types the OTP
  echo "$OTP" | tokenctl yubikey verify-otp --secret-file aes.hex --private-id-env PID`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			var otp string
			if len(args) == 1 {
				otp = args[0]
			} else {
				line, err := bufio.NewReader(io.LimitReader(c.InOrStdin(), 4096)).ReadString('\n')
				if err != nil && err != io.EOF {
					return usagef("reading the OTP: %v", err)
				}
				otp = line
			}
			otp = strings.TrimSpace(otp)
			if len(otp) < 32 {
				return exitcode.DataErr(fmt.Errorf("%q is not a Yubico OTP (at least 32 modhex characters)", otp))
			}
			var aes, pid []byte
			serial := ""
			switch {
			case logFile != "":
				if key.IsSet() {
					return usagef("--log conflicts with --secret-file/--secret-env")
				}
				format := logFormat
				switch format {
				case "traditional":
					format = "yubico-traditional"
				case "duo":
					format = "duo-yubikey"
				}
				opts := &convert.Options{Kind: seed.YubicoOTP}
				if err := pskc(opts); err != nil {
					return err
				}
				toks, err := convert.ReadAll(logFile, format, opts)
				if err != nil {
					return conversionError(err)
				}
				defer func() {
					for _, t := range toks {
						t.Wipe()
					}
				}()
				pub := strings.ToLower(otp[:len(otp)-32])
				var noID []*seed.Token
				for _, t := range toks {
					switch {
					case t.Kind != seed.YubicoOTP:
					case yubikey.Modhex(t.PublicID) == pub:
						aes, pid, serial = t.Secret, t.PrivateID, t.Serial // the last line for a public ID wins
					case len(t.PublicID) == 0:
						noID = append(noID, t)
					}
				}
				if aes == nil {
					// Logs without public IDs (Duo's): the credential whose key
					// decrypts the OTP to its own private ID.
					for _, t := range noID {
						if _, err := yubikey.DecodeOTP(otp, t.Secret, t.PrivateID); err == nil {
							aes, pid, serial = t.Secret, t.PrivateID, t.Serial
							break
						}
					}
				}
				if aes == nil {
					return exitcode.DataErr(fmt.Errorf("no Yubico OTP credential in %s verifies public ID %s", logFile, pub))
				}
			case key.IsSet():
				var err error
				if aes, err = readSecretBytes(key, "AES key", false); err != nil {
					return err
				}
				defer seed.Zero(aes)
				if !priv.IsSet() {
					return usagef("give the private ID with --private-id-file or --private-id-env")
				}
				if pid, err = readSecretBytes(priv, "private ID", false); err != nil {
					return err
				}
				defer seed.Zero(pid)
			default:
				return usagef("give the credential: --log FILE, or --secret-file/--secret-env with --private-id-file/--private-id-env")
			}
			o, err := yubikey.DecodeOTP(otp, aes, pid)
			if err != nil {
				return exitcode.DataErr(fmt.Errorf("OTP does not verify: %w", err))
			}
			if o.Counter() < minCounter {
				return exitcode.DataErr(fmt.Errorf("OTP counter %d is below --min-counter %d: replayed?", o.Counter(), minCounter))
			}
			res := ykVerifyResult{Valid: true, PublicID: yubikey.Modhex(o.PublicID), Serial: serial, UseCounter: o.UseCounter, SessionCounter: o.SessionCounter, Timestamp: o.Timestamp}
			if global.JSON {
				return writeJSON(c.OutOrStdout(), res)
			}
			who := res.PublicID
			if serial != "" {
				who += " (YubiKey " + serial + ")"
			}
			fmt.Fprintf(c.OutOrStdout(), "OTP valid: %s, use counter %d, session counter %d\n", who, o.UseCounter, o.SessionCounter)
			return nil
		},
	}
	key = secretFlags(c, "", "the AES key (32 hex digits)")
	priv = secretFlags(c, "private-id", "the private ID (12 hex digits)")
	c.Flags().StringVar(&logFile, "log", "", "look the credential up by public ID in this log")
	c.Flags().StringVar(&logFormat, "log-format", "yubico", "format of --log: yubico, traditional, duo (YubiKey AES lines, matched by trying each key) or pskc")
	pskc = pskcFlags(c)
	c.Flags().Uint32Var(&minCounter, "min-counter", 0, "refuse an OTP whose counter (use<<8|session) is lower")
	return c
}
