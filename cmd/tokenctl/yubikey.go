package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/tokenctl/tokenctl/convert"
	"github.com/tokenctl/tokenctl/csvfmt"
	"github.com/tokenctl/tokenctl/device"
	"github.com/tokenctl/tokenctl/internal/exitcode"
	"github.com/tokenctl/tokenctl/internal/secretin"
	"github.com/tokenctl/tokenctl/seed"
	"github.com/tokenctl/tokenctl/yubikey"
)

func newYubiKeyCmd(f *factory) *cobra.Command {
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
	c.AddCommand(newYKInfoCmd(f), newYKOTPCmd(f), newYKHOTPCmd(f), newYKChalRespCmd(f), newYKDeleteCmd(f), newYKSwapCmd(f), newYKSettingsCmd(f), newYKVerifyCmd(f))
	return c
}

// ykConn are the flags that choose a key.
type ykConn struct {
	transport string
	reader    string
	serial    string
	wait      time.Duration
}

func (o *ykConn) add(c *cobra.Command) {
	c.Flags().StringVar(&o.transport, "transport", "", "hid (USB keyboard interface) or ccid (PC/SC reader, NFC); default: HID when a YubiKey is on USB, else PC/SC")
	c.Flags().StringVar(&o.reader, "reader", "", "PC/SC reader name or part of it (ccid)")
	c.Flags().StringVar(&o.serial, "serial", "", "the serial number of the key to use, when several are present (looked for on USB, then in each PC/SC reader holding a card)")
	c.Flags().DurationVar(&o.wait, "wait", 10*time.Second, "how long to wait for a key on the PC/SC reader")
}

// open finds the key (device.OpenYubiKey), opens the OTP application and
// reads its serial.
func (o *ykConn) open(ctx context.Context, f *factory) (*device.YubiKey, error) {
	opts := device.YubiKeyOptions{Reader: o.reader, Wait: o.wait}
	switch o.transport {
	case "":
	case "hid":
		opts.Transport = yubikey.TransportHID
	case "ccid", "nfc", "pcsc":
		opts.Transport = yubikey.TransportCCID
	default:
		return nil, usagef("--transport %q: want hid or ccid", o.transport)
	}
	if opts.Transport == yubikey.TransportHID && o.reader != "" {
		return nil, usagef("--reader names a PC/SC reader: it goes with --transport ccid, not hid")
	}
	if o.serial != "" {
		s, err := yubikey.ParseSerial(o.serial)
		if err != nil {
			return nil, usagef("--serial %v", err)
		}
		opts.Serial = s
	}
	return f.Devices.OpenYubiKey(ctx, opts)
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
	// given names where a supplied secret came from ("" when generated),
	// for the message if the log cannot be written after the key was.
	given string
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

// readCode reads an access code (12 hex digits) from src, if given.
func readCode(src *secretin.Source, what string) (yubikey.AccessCode, error) {
	if src == nil || !src.IsSet() {
		return nil, nil
	}
	s, err := src.Read()
	if err != nil {
		return nil, usagef("%s: %v", what, err)
	}
	code, err := yubikey.ParseAccessCode(s)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return code, nil
}

// codes reads the current and the new access code. Like ykman, the new
// code defaults to the current one.
func (w *ykWrite) codes() (cur, next yubikey.AccessCode, err error) {
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

// log opens --log as a convert.Output for a token of this kind.
func (w *ykWrite) log(t *seed.Token) (*convert.Output, error) {
	if w.logFile == "" {
		return nil, nil
	}
	format := strings.ToLower(w.logFormat)
	switch format {
	case "okta":
		format = "yubico"
	case "traditional":
		format = "yubico-traditional"
	case "duo":
		if t.Kind == seed.YubicoOTP {
			format = "duo-yubikey"
		}
	}
	opts := &convert.Options{Manufacturer: "Yubico", Model: "YubiKey"}
	if w.pskc != nil {
		if err := w.pskc(opts); err != nil {
			return nil, err
		}
	}
	out, err := convert.OpenOutput(w.logFile, format, opts)
	if err != nil {
		return nil, usagef("--log-format %q: %v", w.logFormat, err)
	}
	if err := out.Preflight(t); err != nil {
		out.Close()
		return nil, fmt.Errorf("log: %w", err)
	}
	return out, nil
}

// confirmOverwrite asks before a programmed slot is replaced.
func confirmOverwrite(f *factory, force bool, what string) error {
	if force {
		return nil
	}
	if !f.InTTY || !f.ErrTTY {
		return usagef("%s: not overwriting without --force (no terminal to ask on)", what)
	}
	fmt.Fprintf(f.Err, "%s. Overwrite? [y/N] ", what)
	line, _ := bufio.NewReader(f.In).ReadString('\n')
	if a := strings.ToLower(strings.TrimSpace(line)); a != "y" && a != "yes" {
		return usagef("not confirmed: nothing written")
	}
	return nil
}

// writeErr says, for an exchange that broke off (not a refusal), that the
// key may or may not hold the new configuration.
func writeErr(err error) error {
	var we *yubikey.WriteError
	if err == nil || errors.As(err, &we) {
		return err
	}
	return exitcode.DeviceErr(fmt.Errorf("%w\nthe YubiKey may or may not hold the new configuration: check it with 'tokenctl yubikey info' before trying again", err))
}

// ykResult is the --json report of a programming command.
type ykResult struct {
	Serial     yubikey.Serial `json:"serial"`
	Slot       yubikey.Slot   `json:"slot,omitempty"`
	Mode       string         `json:"mode"`
	Transport  string         `json:"transport"`
	Device     string         `json:"device"`
	Firmware   string         `json:"firmware"`
	PublicID   string         `json:"public_id,omitempty"`
	AccessCode bool           `json:"access_code"`
	Log        string         `json:"log,omitempty"`
	LogFormat  string         `json:"log_format,omitempty"`
	// Unconfirmed: the key answered 90 00 but could not confirm the write
	// (firmware 5.0.0-5.4.2 over CCID); the slot may hold the old
	// configuration still.
	Unconfirmed bool `json:"unconfirmed,omitempty"`
}

func result(k *device.YubiKey, slot yubikey.Slot, mode string) ykResult {
	return ykResult{Serial: k.Serial, Slot: slot, Mode: mode, Transport: string(k.Transport), Device: k.Where, Firmware: k.Session.Version().String(), Unconfirmed: k.Session.Unconfirmed()}
}

// warnUnconfirmed tells, on standard error (with --json too), that the
// last write could not be confirmed; check says how to check the key.
func warnUnconfirmed(f *factory, k *device.YubiKey, what, check string) {
	if !k.Session.Unconfirmed() {
		return
	}
	fmt.Fprintf(f.Err, "WARNING: YubiKey %d could not confirm %s: firmware %s does not report over %s whether a write took, and the slot state cannot tell. A wrong or missing access code answers the same way: the slot may still hold its previous configuration. %s (Over USB HID the key does report it.)\n",
		k.Serial, what, k.Session.Version(), strings.ToUpper(string(k.Transport)), check)
}

// report prints res as JSON on standard output with --json, or msg on
// standard error.
func report(f *factory, res ykResult, msg string) error {
	if f.JSON {
		return writeJSON(f.Out, res)
	}
	fmt.Fprintln(f.Err, msg)
	return nil
}

// slotOp is what delete and settings work on: a slot of an open key and
// the access codes given.
type slotOp struct {
	slot      yubikey.Slot
	cur, next yubikey.AccessCode
	key       *device.YubiKey
}

// openSlot parses the slot argument, reads the access codes and opens the
// key.
func (w *ykWrite) openSlot(c *cobra.Command, f *factory, arg string) (*slotOp, error) {
	slot, err := yubikey.ParseSlot(arg)
	if err != nil {
		return nil, usagef("%v", err)
	}
	o := &slotOp{slot: slot}
	if o.cur, o.next, err = w.codes(); err != nil {
		return nil, err
	}
	if o.key, err = w.conn.open(c.Context(), f); err != nil {
		o.close()
		return nil, err
	}
	return o, nil
}

// close closes the key and wipes the access codes.
func (o *slotOp) close() {
	if o.key != nil {
		o.key.Close()
	}
	o.cur.Wipe()
	o.next.Wipe()
}

// program runs the common part of otp, hotp and chalresp: open, check,
// confirm, write, log.
func (w *ykWrite) program(c *cobra.Command, f *factory, slot yubikey.Slot, mode string, build func(serial yubikey.Serial) (*yubikey.Config, *seed.Token, error)) error {
	cur, next, err := w.codes()
	if err != nil {
		return err
	}
	defer cur.Wipe()
	defer next.Wipe()
	key, err := w.conn.open(c.Context(), f)
	if err != nil {
		return err
	}
	defer key.Close()
	cfg, tok, err := build(key.Serial)
	if err != nil {
		return err
	}
	defer cfg.Wipe()
	defer tok.Wipe()
	if err := cfg.SetAccessCode(next); err != nil {
		return err
	}
	tok.Serial = key.Serial.String()
	tok.Manufacturer, tok.Model = "Yubico", "YubiKey"
	tok.SetLabel(csvfmt.YubicoLabelSlot, fmt.Sprint(slot))
	tok.SetLabel(csvfmt.YubicoLabelTimestamp, time.Now().Format(csvfmt.YubicoTimeLayout))
	if next != nil {
		tok.SetLabel(csvfmt.YubicoLabelAccessCode, next.Hex())
	}
	if cur != nil {
		tok.SetLabel(csvfmt.YubicoLabelCurrentAccess, cur.Hex())
	}
	log, err := w.log(tok)
	if err != nil {
		return err
	}
	if log != nil {
		defer log.Close()
		if err := log.Prepare(tok); err != nil {
			return fmt.Errorf("log: %w", err)
		}
	}
	if key.Session.Configured(slot) {
		if err := confirmOverwrite(f, w.force, fmt.Sprintf("slot %d of YubiKey %d is programmed", slot, key.Serial)); err != nil {
			return err
		}
	}
	if err := key.Session.Put(slot, cfg, cur); err != nil {
		return writeErr(err)
	}
	res := result(key, slot, mode)
	res.AccessCode = next != nil
	if mode == "yubico-otp" {
		res.PublicID = yubikey.Modhex(cfg.Fixed)
	}
	msg := fmt.Sprintf("YubiKey %d: slot %d programmed with %s", key.Serial, slot, mode)
	if res.PublicID != "" {
		msg += " (public ID " + res.PublicID + ")"
	}
	if log != nil {
		if err := f.record(log, fmt.Sprintf("YubiKey %d slot %d", key.Serial, slot), w.given); err != nil {
			return err
		}
		res.Log, res.LogFormat = w.logFile, log.Format.Name
		msg += fmt.Sprintf(", logged to %s (%s)", w.logFile, log.Format.Name)
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
		if log != nil {
			check += "; the credential was logged, since the key may hold it."
		} else {
			check += "."
		}
		warnUnconfirmed(f, key, fmt.Sprintf("the write of slot %d", slot), check)
	}
	return report(f, res, msg)
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
	decoders := []secretin.Decoder{seed.Hex}
	if b32 {
		decoders = append(decoders, seed.Base32)
	}
	k, err := src.Bytes(what, decoders...)
	if err != nil {
		return nil, err
	}
	if len(k) > yubikey.HMACKeySize || len(k) == 0 {
		seed.Zero(k)
		return nil, fmt.Errorf("%s: %d bytes, a YubiKey slot takes 1 to %d", what, len(k), yubikey.HMACKeySize)
	}
	return k, nil
}

// keepGenerated refuses, before the key is touched, a generated secret
// that nothing would keep: the key never gives a secret back, so without
// --log nobody (no server, no backup key) could ever be told it.
func (w *ykWrite) keepGenerated(generate bool, what string, src *secretin.Source) error {
	if !generate {
		w.given = src.Name()
	}
	if generate && w.logFile == "" {
		return usagef("--generate without --log: the generated %s would be written to the key and kept nowhere; give --log FILE, or bring the secret with --secret-file/--secret-env", what)
	}
	return nil
}

func newYKOTPCmd(f *factory) *cobra.Command {
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
			slot, err := yubikey.ParseSlot(args[0])
			if err != nil {
				return usagef("%v", err)
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
			if err := w.keepGenerated(generate, "AES key and private ID", key); err != nil {
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
			} else if aes, err = key.Bytes("AES key", seed.Hex); err != nil {
				return err
			}
			defer seed.Zero(aes) // also when the key is never reached
			if len(aes) != 16 {
				return exitcode.DataErr(fmt.Errorf("AES key: %d bytes, want 16", len(aes)))
			}
			if priv.IsSet() {
				if pid, err = priv.Bytes("private ID", seed.Hex); err != nil {
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
			return w.program(c, f, slot, "yubico-otp", func(serial yubikey.Serial) (*yubikey.Config, *seed.Token, error) {
				p := pub
				if p == nil {
					p = yubikey.SerialPublicID(uint32(serial))
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

func newYKHOTPCmd(f *factory) *cobra.Command {
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
			slot, err := yubikey.ParseSlot(args[0])
			if err != nil {
				return usagef("%v", err)
			}
			if err := w.keepGenerated(generate, "HOTP key", key); err != nil {
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
			return w.program(c, f, slot, "oath-hotp", func(serial yubikey.Serial) (*yubikey.Config, *seed.Token, error) {
				o := yubikey.HOTPOptions{Digits: digits, Counter: counter}
				if identifier != "" {
					var err error
					o.TokenID, o.FixedModhex1, o.FixedModhex2, err = yubikey.ParseTokenID(identifier, uint32(serial))
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

func newYKChalRespCmd(f *factory) *cobra.Command {
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
			slot, err := yubikey.ParseSlot(args[0])
			if err != nil {
				return usagef("%v", err)
			}
			switch {
			case discard && !generate:
				return usagef("--discard-secret goes with --generate")
			case discard && w.logFile != "":
				return usagef("--discard-secret conflicts with --log")
			case !discard:
				if err := w.keepGenerated(generate, "HMAC key", key); err != nil {
					return err
				}
			}
			k, err := hmacKey(generate, key, "HMAC key", false)
			if err != nil {
				return err
			}
			defer seed.Zero(k) // also when the key is never reached
			return w.program(c, f, slot, "chalresp-hmac", func(serial yubikey.Serial) (*yubikey.Config, *seed.Token, error) {
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

func newYKDeleteCmd(f *factory) *cobra.Command {
	var w ykWrite
	c := &cobra.Command{
		Use:     "delete SLOT",
		Short:   "Delete the configuration of slot 1 or 2",
		Example: "  tokenctl yubikey delete 2 --force\n  tokenctl yubikey delete 1 --access-code-env YK_ACCESS --force",
		Args:    cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			o, err := w.openSlot(c, f, args[0])
			if err != nil {
				return err
			}
			defer o.close()
			slot, cur, key := o.slot, o.cur, o.key
			if !key.Session.Configured(slot) {
				if !w.force {
					return exitcode.DataErr(fmt.Errorf("slot %d of YubiKey %d is empty: nothing to delete", slot, key.Serial))
				}
			} else if err := confirmOverwrite(f, w.force, fmt.Sprintf("slot %d of YubiKey %d is programmed; deleting it", slot, key.Serial)); err != nil {
				return err
			}
			if err := key.Session.Delete(slot, cur); err != nil {
				return writeErr(err)
			}
			warnUnconfirmed(f, key, fmt.Sprintf("the deletion of slot %d", slot), "Check it with 'tokenctl yubikey info'.")
			return report(f, result(key, slot, "deleted"), fmt.Sprintf("YubiKey %d: slot %d deleted", key.Serial, slot))
		},
	}
	w.add(c, false)
	return c
}

func newYKSettingsCmd(f *factory) *cobra.Command {
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
			o, err := w.openSlot(c, f, args[0])
			if err != nil {
				return err
			}
			defer o.close()
			slot, cur, next, key := o.slot, o.cur, o.next, o.key
			if !key.Session.Configured(slot) {
				return exitcode.DataErr(fmt.Errorf("slot %d of YubiKey %d is empty: nothing to update", slot, key.Serial))
			}
			if err := confirmOverwrite(f, w.force, fmt.Sprintf("slot %d of YubiKey %d: its settings will be rewritten", slot, key.Serial)); err != nil {
				return err
			}
			cfg := yubikey.UpdateConfig(!noEnter)
			if err := cfg.SetAccessCode(next); err != nil {
				return exitcode.DataErr(err)
			}
			if err := key.Session.Update(slot, cfg, cur); err != nil {
				return writeErr(err)
			}
			warnUnconfirmed(f, key, fmt.Sprintf("the settings update of slot %d", slot), "If the access code was to change, the old one may still hold.")
			res := result(key, slot, "updated")
			res.AccessCode = next != nil
			return report(f, res, fmt.Sprintf("YubiKey %d: slot %d settings updated (access code: %v)", key.Serial, slot, next != nil))
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

func newYKSwapCmd(f *factory) *cobra.Command {
	var w ykWrite
	c := &cobra.Command{
		Use:     "swap",
		Short:   "Swap the configurations of slots 1 and 2",
		Example: "  tokenctl yubikey swap --force",
		Args:    cobra.NoArgs,
		RunE: func(c *cobra.Command, args []string) error {
			key, err := w.conn.open(c.Context(), f)
			if err != nil {
				return err
			}
			defer key.Close()
			if key.Session.Configured(1) || key.Session.Configured(2) {
				if err := confirmOverwrite(f, w.force, fmt.Sprintf("YubiKey %d: swapping its slots", key.Serial)); err != nil {
					return err
				}
			}
			if err := key.Session.Swap(); err != nil {
				return writeErr(err)
			}
			warnUnconfirmed(f, key, "the swap of its slots", "Check what each slot does before relying on it.")
			return report(f, result(key, 0, "swapped"), fmt.Sprintf("YubiKey %d: slots swapped", key.Serial))
		},
	}
	w.conn.add(c)
	c.Flags().BoolVarP(&w.force, "force", "f", false, "swap without asking")
	return c
}

type ykInfo struct {
	Serial    yubikey.Serial `json:"serial"`
	Firmware  string         `json:"firmware"`
	Transport string         `json:"transport"`
	Device    string         `json:"device"`
	Slot1     string         `json:"slot1"`
	Slot2     string         `json:"slot2"`
}

func newYKInfoCmd(f *factory) *cobra.Command {
	var conn ykConn
	c := &cobra.Command{
		Use:     "info",
		Short:   "Show a YubiKey's serial number, firmware and which OTP slots are programmed",
		Example: "  tokenctl yubikey info\n  tokenctl yubikey info --transport ccid --reader 'Virtual PCD 00 01' --json",
		Args:    cobra.NoArgs,
		RunE: func(c *cobra.Command, args []string) error {
			key, err := conn.open(c.Context(), f)
			if err != nil {
				return err
			}
			defer key.Close()
			st := key.Session.Status()
			state := func(n yubikey.Slot) string {
				if !st.Configured(n) {
					return "empty"
				}
				if st.Touch&(yubikey.StatusSlot1Touch<<(n-1)) != 0 {
					return "programmed (touch-triggered)"
				}
				return "programmed"
			}
			info := ykInfo{Serial: key.Serial, Firmware: st.Version.String(), Transport: string(key.Transport), Device: key.Where, Slot1: state(1), Slot2: state(2)}
			if f.JSON {
				return writeJSON(f.Out, info)
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

func newYKVerifyCmd(f *factory) *cobra.Command {
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
					return err
				}
				defer func() {
					for _, t := range toks {
						t.Wipe()
					}
				}()
				t := yubikey.FindCredential(toks, otp)
				if t == nil {
					return fmt.Errorf("no Yubico OTP credential in %s verifies public ID %s", logFile, strings.ToLower(otp[:len(otp)-32]))
				}
				aes, pid, serial = t.Secret, t.PrivateID, t.Serial
			case key.IsSet():
				var err error
				if aes, err = key.Bytes("AES key", seed.Hex); err != nil {
					return err
				}
				defer seed.Zero(aes)
				if !priv.IsSet() {
					return usagef("give the private ID with --private-id-file or --private-id-env")
				}
				if pid, err = priv.Bytes("private ID", seed.Hex); err != nil {
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
			if f.JSON {
				return writeJSON(f.Out, res)
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
