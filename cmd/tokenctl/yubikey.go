package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/tokenctl/tokenctl/convert"
	"github.com/tokenctl/tokenctl/device"
	"github.com/tokenctl/tokenctl/internal/exitcode"
	"github.com/tokenctl/tokenctl/internal/secretin"
	"github.com/tokenctl/tokenctl/personalize"
	"github.com/tokenctl/tokenctl/seed"
	"github.com/tokenctl/tokenctl/yubikey"
)

func newYubiKeyCmd(f *factory) *cobra.Command {
	c := &cobra.Command{
		Use:   "yubikey",
		Short: "Personalize YubiKey OTP slots (Yubico OTP, OATH-HOTP, challenge-response) over USB or NFC",
		Long: `Program the two OTP slots of a YubiKey as ykman does (its defaults, byte
for byte), over USB HID or a PC/SC reader (NFC or USB CCID), and log each
programmed key: Personalization Tool formats (Okta's "Yubico format"), Duo's
import lines, PSKC. The serial number is read before any write and keys
every log line. A programmed slot is overwritten only after a confirmation
on the terminal, or with --force. Secrets and access codes come from files,
standard input or environment variables; a key never gives a secret back,
so a generated one (--generate) needs --log.`,
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
	transport, reader, serial string
	wait                      time.Duration
}

func (o *ykConn) add(c *cobra.Command) {
	c.Flags().StringVar(&o.transport, "transport", "", "hid (USB keyboard interface) or ccid (PC/SC reader, NFC); default: HID when a YubiKey is on USB, else PC/SC")
	c.Flags().StringVar(&o.reader, "reader", "", "PC/SC reader name or part of it (ccid)")
	c.Flags().StringVar(&o.serial, "serial", "", "the serial number of the key to use, when several are present (looked for on USB, then in each PC/SC reader holding a card)")
	c.Flags().DurationVar(&o.wait, "wait", 10*time.Second, "how long to wait for a key on the PC/SC reader")
}

// open finds the key (device.OpenYubiKey), opens the OTP application and
// reads its serial.
func (o *ykConn) open(c *cobra.Command, f *factory) (*device.YubiKey, error) {
	opts, err := device.ParseYubiKeyOptions(o.transport, o.reader, o.serial, o.wait)
	if err != nil {
		return nil, err
	}
	return f.Devices.OpenYubiKey(c.Context(), opts)
}

// ykWrite are the flags of the commands that write a slot, and the
// credential (cred) otp, hotp and chalresp build from theirs.
type ykWrite struct {
	f                          *factory
	conn                       ykConn
	force, clearCode, generate bool
	curCode, newCode, key      *secretin.Source
	log                        personalize.Log // Path, Format, Given (where a supplied secret came from)
	pskc                       func(o *convert.Options) error
	cred                       yubikey.Credential
}

// add adds the flags that choose the key, --force and, with codes, the
// slot's current access code.
func (w *ykWrite) add(c *cobra.Command, forceHelp string, codes bool) {
	w.conn.add(c)
	c.Flags().BoolVarP(&w.force, "force", "f", false, forceHelp)
	if codes {
		w.curCode = secretFlags(c, "access-code", "the slot's current access code (12 hex digits)")
	}
}

// addNewCode adds the flags of the new access code.
func (w *ykWrite) addNewCode(c *cobra.Command, newHelp, clearHelp string) {
	w.newCode = secretFlags(c, "new-access-code", newHelp)
	c.Flags().BoolVar(&w.clearCode, "clear-access-code", false, clearHelp)
}

// credCmd completes otp, hotp and chalresp: their common flags, and a run
// that has prep read the command's secrets into w.cred, which is checked
// before the key is opened, then programmed (personalize.Program) and
// logged to --log.
func (w *ykWrite) credCmd(c *cobra.Command, mode yubikey.Mode, keyHelp, genHelp, serialHelp string, prep func() error) *cobra.Command {
	c.Args = cobra.ExactArgs(1)
	c.RunE = func(c *cobra.Command, args []string) error {
		return w.onKey(c, args, func(slot yubikey.Slot) (err error) {
			w.cred.Slot, w.cred.Mode = slot, mode
			if err = prep(); err == nil && w.generate {
				err = w.cred.Generate()
			}
			if err == nil {
				err = w.cred.Check()
			}
			return err
		}, func(key *device.YubiKey, _ yubikey.Slot) (*personalize.Result, error) {
			if w.log.Path != "" {
				if err := w.pskc(w.log.Options); err != nil {
					return nil, err
				}
			}
			return personalize.Program(key, &w.cred, w.opts(), &w.log)
		})
	}
	w.add(c, "overwrite a programmed slot without asking", true)
	w.addNewCode(c, "the access code to protect the slot with (12 hex digits; default: keep the current one)", "leave the slot without access code")
	c.Flags().StringVar(&w.log.Path, "log", "", "append the programmed credential to this file (0600)")
	c.Flags().StringVar(&w.log.Format, "log-format", "yubico", "log format: yubico (Personalization Tool, Okta), traditional, duo, pskc, entra, or any writable format")
	w.pskc, w.log.Options = pskcFlags(c), &convert.Options{}
	w.log.Record = func(out *convert.Output, what string) error { return w.f.record(out, what, w.log.Given) }
	w.key = secretFlags(c, "", keyHelp)
	c.Flags().BoolVar(&w.generate, "generate", false, genHelp)
	c.Flags().BoolVar(&w.cred.HideSerial, "no-serial-api-visible", false, serialHelp)
	return c
}

// slotCmd completes delete, settings and swap: the flags that choose the
// key, --force and (with codes) the access code, and a run that does op
// on the key (onKey).
func (w *ykWrite) slotCmd(c *cobra.Command, forceHelp string, codes bool, op func(k *device.YubiKey, slot yubikey.Slot) (*personalize.Result, error)) *cobra.Command {
	c.RunE = func(c *cobra.Command, args []string) error { return w.onKey(c, args, nil, op) }
	w.add(c, forceHelp, codes)
	return c
}

// readCode reads an access code (12 hex digits) from src, if given.
func readCode(src *secretin.Source, what string) (yubikey.AccessCode, error) {
	if src == nil || !src.IsSet() {
		return nil, nil
	}
	return src.Bytes(what, yubikey.AccessCodeHex)
}

// onKey reads the SLOT argument (if any) and has prep (if any) check it,
// reads the current and the new access code into w.cred (like ykman, the
// new code defaults to the current one), opens the key and runs op, a
// personalize write; it reports the write (report), closes the key and
// wipes w.cred, also when the key is never reached.
func (w *ykWrite) onKey(c *cobra.Command, args []string, prep func(yubikey.Slot) error, op func(k *device.YubiKey, slot yubikey.Slot) (*personalize.Result, error)) (err error) {
	defer w.cred.Wipe()
	var slot yubikey.Slot
	if len(args) == 1 {
		if slot, err = yubikey.ParseSlot(args[0]); err != nil {
			return err
		}
	}
	if prep != nil {
		if err := prep(slot); err != nil {
			return w.report(nil, err)
		}
	}
	if w.cred.CurrentAccessCode, err = readCode(w.curCode, "access code"); err != nil {
		return err
	}
	if w.clearCode && w.newCode.IsSet() {
		return usagef("--clear-access-code conflicts with --new-access-code-file/-env")
	}
	if w.cred.AccessCode, err = readCode(w.newCode, "new access code"); err != nil {
		return err
	}
	if w.cred.AccessCode == nil && !w.clearCode {
		w.cred.AccessCode = w.cred.CurrentAccessCode
	}
	key, err := w.conn.open(c, w.f)
	if err != nil {
		return err
	}
	defer key.Close()
	return w.report(op(key, slot))
}

// opts are the write's options: --force, else a confirmation asked on
// the terminal.
func (w *ykWrite) opts() personalize.Options {
	return personalize.Options{Force: w.force, Confirm: personalize.AskConfirm(w.f.In, w.f.Err, w.f.InTTY && w.f.ErrTTY)}
}

// report ends a write: its error, with the settings and log format it
// refuses named by their flags, or the report: a warning on standard
// error (with --json too) when the key could not confirm the write, then
// r as JSON on standard output with --json, else its line on standard
// error.
func (w *ykWrite) report(r *personalize.Result, err error) error {
	switch {
	case err != nil: // a *yubikey.SettingError or *personalize.FormatError names its flag
		return err
	case r.Unconfirmed:
		fmt.Fprintln(w.f.Err, r.Warning())
	}
	return w.f.emit(r, w.f.Err, "%s\n", r)
}

// readKey reads the key (what, decoded by dec) unless --generate, after
// refusing both or neither, and, before the key is touched, a generated
// secret (kept names it) that nothing would keep: the key never gives a
// secret back, so without --log nobody (no server, no backup key) could
// ever be told it.
func (w *ykWrite) readKey(what, kept string, dec ...secretin.Decoder) (err error) {
	switch {
	case w.generate && w.key.IsSet():
		return usagef("--generate conflicts with --secret-file/--secret-env")
	case !w.generate && !w.key.IsSet():
		return usagef("give the %s with --secret-file or --secret-env, or --generate", what)
	case w.generate && kept != "" && w.log.Path == "":
		return usagef("--generate without --log: the generated %s would be written to the key and kept nowhere; give --log FILE, or bring the secret with --secret-file/--secret-env", kept)
	case !w.generate:
		w.log.Given = w.key.Name()
		w.cred.Key, err = w.key.Bytes(what, dec...)
	}
	return err
}

const ykHideSerial = "hide the serial number from the API (breaks serial-keyed inventories)"

func newYKOTPCmd(f *factory) *cobra.Command {
	w := ykWrite{f: f}
	var publicID string
	var randomID bool
	var priv *secretin.Source
	c := w.credCmd(&cobra.Command{
		Use:   "otp SLOT",
		Short: "Program a Yubico OTP credential (AES-128) into slot 1 or 2",
		Long: `Program a Yubico OTP credential. The public ID is, by default, ykman's
serial-based one (FF 00 + the serial: "vvcc..."). A generated AES key and
private ID (--generate) are kept only in --log, which --generate requires.`,
		Example: `  tokenctl yubikey otp 1 --generate --log okta.csv --log-format yubico
  tokenctl yubikey otp 2 --generate --random-public-id --log duo.csv --log-format duo
  tokenctl yubikey otp 1 --secret-file aes.hex --private-id-file pid.hex --public-id vvcccccccccb`,
	}, yubikey.ModeYubicoOTP, "the AES key (32 hex digits)", "generate the AES key and the private ID (needs --log, which keeps them)", ykHideSerial, func() (err error) {
		if publicID != "" && randomID {
			return usagef("--public-id conflicts with --random-public-id")
		}
		if err := w.readKey("AES key", "AES key and private ID", seed.Hex); err != nil {
			return err
		}
		switch {
		case publicID != "":
			if w.cred.PublicID, err = yubikey.ParseModhex(publicID); err != nil || len(w.cred.PublicID) > yubikey.FixedSize {
				return exitcode.DataErr(fmt.Errorf("--public-id %q: want modhex of at most 16 bytes", publicID))
			}
		case randomID:
			if w.cred.PublicID, err = yubikey.RandomPublicID(); err != nil {
				return err // no randomness: not the 1-byte public ID "vv" that ignoring it gave
			}
		}
		if priv.IsSet() {
			w.cred.PrivateID, err = priv.Bytes("private ID", seed.Hex)
		} else if !w.generate {
			err = usagef("give the private ID with --private-id-file or --private-id-env, or --generate")
		}
		return err
	})
	priv = secretFlags(c, "private-id", "the private ID (12 hex digits)")
	c.Flags().StringVar(&publicID, "public-id", "", "public ID in modhex (default: from the serial, vv...)")
	c.Flags().BoolVar(&randomID, "random-public-id", false, "a random public ID with the vv prefix")
	c.Flags().BoolVar(&w.cred.NoEnter, "no-enter", false, "do not send Enter after the OTP")
	return c
}

func newYKHOTPCmd(f *factory) *cobra.Command {
	w := ykWrite{f: f}
	c := w.credCmd(&cobra.Command{
		Use:   "hotp SLOT",
		Short: "Program an OATH-HOTP credential (HMAC-SHA1) into slot 1 or 2",
		Long: `Program an OATH-HOTP credential (a key of up to 20 bytes; an initial
counter of at most 1048560), with an optional token identifier typed before
the code (ykman's --identifier: "-" or 4 characters = OMP TT and the
serial, 8 = MUI after "ubhe", 12 = all).`,
		Example: `  tokenctl yubikey hotp 2 --generate --log duo.csv --log-format duo
  tokenctl yubikey hotp 1 --secret-file seed.b32 --digits 8 --counter 32 --identifier -`,
	}, yubikey.ModeHOTP, "the HOTP key (hex or base32)", "generate a 20-byte key (needs --log, which keeps it)", ykHideSerial, func() error {
		return w.readKey("HOTP key", "HOTP key", seed.Hex, seed.Base32)
	})
	c.Flags().IntVar(&w.cred.Digits, "digits", 6, "code length: 6 or 8")
	c.Flags().Uint32Var(&w.cred.Counter, "counter", 0, "initial counter (moving factor seed): a multiple of 16")
	c.Flags().StringVar(&w.cred.Identifier, "identifier", "", "token identifier typed before the code (OMP TT MUI; '-' = ubhe + serial)")
	c.Flags().BoolVar(&w.cred.NoEnter, "no-enter", false, "do not send Enter after the code")
	return c
}

func newYKChalRespCmd(f *factory) *cobra.Command {
	w := ykWrite{f: f}
	var discard bool
	c := w.credCmd(&cobra.Command{
		Use:   "chalresp SLOT",
		Short: "Program an HMAC-SHA1 challenge-response credential into slot 1 or 2",
		Long: `Program an HMAC-SHA1 challenge-response credential (a key of up to 20
bytes). A generated key goes to --log: whoever verifies the responses, or a
backup key programmed with the same secret, needs it. With --discard-secret
it is kept nowhere: this key alone will ever answer its challenges (lose it
and whatever it unlocks is lost too).`,
		Example: `  tokenctl yubikey chalresp 2 --generate --touch --log keys.csv --log-format yubico
  tokenctl yubikey chalresp 2 --secret-file hmac.hex --force`,
	}, yubikey.ModeChalRespHMAC, "the HMAC-SHA1 key (hex, up to 20 bytes)", "generate a 20-byte key (kept in --log)", "hide the serial number from the API", func() error {
		switch {
		case discard && !w.generate:
			return usagef("--discard-secret goes with --generate")
		case discard && w.log.Path != "":
			return usagef("--discard-secret conflicts with --log")
		case discard:
			return w.readKey("HMAC key", "")
		}
		return w.readKey("HMAC key", "HMAC key", seed.Hex)
	})
	c.Flags().BoolVar(&discard, "discard-secret", false, "with --generate and no --log: keep the generated key nowhere (no backup key can ever be made)")
	c.Flags().BoolVar(&w.cred.Touch, "touch", false, "require a touch for each response")
	c.Flags().BoolVar(&w.cred.NoLT64, "no-lt64", false, "challenges are always 64 bytes (clears HMAC_LT64)")
	return c
}

func newYKDeleteCmd(f *factory) *cobra.Command {
	w := ykWrite{f: f}
	return w.slotCmd(&cobra.Command{
		Use:     "delete SLOT",
		Short:   "Delete the configuration of slot 1 or 2",
		Example: "  tokenctl yubikey delete 2 --force\n  tokenctl yubikey delete 1 --access-code-env YK_ACCESS --force",
		Args:    cobra.ExactArgs(1),
	}, "overwrite a programmed slot without asking", true, func(key *device.YubiKey, slot yubikey.Slot) (*personalize.Result, error) {
		return personalize.Delete(key, slot, w.cred.CurrentAccessCode, w.opts())
	})
}

func newYKSettingsCmd(f *factory) *cobra.Command {
	w := ykWrite{f: f}
	var noEnter bool
	c := w.slotCmd(&cobra.Command{
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
	}, "update without asking", true, func(key *device.YubiKey, slot yubikey.Slot) (*personalize.Result, error) {
		return personalize.Update(key, slot, !noEnter, w.cred.CurrentAccessCode, w.cred.AccessCode, w.opts())
	})
	w.addNewCode(c, "the new access code (12 hex digits; default: keep the current one)", "remove the access code")
	c.Flags().BoolVar(&noEnter, "no-enter", false, "do not send Enter after the output")
	return c
}

func newYKSwapCmd(f *factory) *cobra.Command {
	w := ykWrite{f: f}
	return w.slotCmd(&cobra.Command{
		Use:     "swap",
		Short:   "Swap the configurations of slots 1 and 2",
		Example: "  tokenctl yubikey swap --force",
		Args:    cobra.NoArgs,
	}, "swap without asking", false, func(key *device.YubiKey, _ yubikey.Slot) (*personalize.Result, error) {
		return personalize.Swap(key, w.opts())
	})
}

func newYKInfoCmd(f *factory) *cobra.Command {
	var conn ykConn
	c := &cobra.Command{
		Use:     "info",
		Short:   "Show a YubiKey's serial number, firmware and which OTP slots are programmed",
		Example: "  tokenctl yubikey info\n  tokenctl yubikey info --transport ccid --reader 'Virtual PCD 00 01' --json",
		Args:    cobra.NoArgs,
		RunE: func(c *cobra.Command, args []string) error {
			key, err := conn.open(c, f)
			if err != nil {
				return err
			}
			defer key.Close()
			i := key.Info()
			return f.emit(i, c.OutOrStdout(), "%s", i)
		},
	}
	conn.add(c)
	return c
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
characters; read from standard input when not given) with its AES key,
check its CRC and private ID, and print its counters. The credential is
looked up by public ID in a log written by 'tokenctl yubikey otp --log',
or given. Exit code 1 when it does not verify.`,
		Example: `  tokenctl yubikey verify-otp --log okta.csv   # then touch the key: it types the OTP
  echo "$OTP" | tokenctl yubikey verify-otp --secret-file aes.hex --private-id-env PID`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			otp, err := strings.Join(args, ""), error(nil)
			if len(args) == 0 {
				if otp, err = yubikey.ReadOTP(c.InOrStdin()); err != nil {
					return usagef("reading the OTP: %v", err)
				}
			}
			if otp = strings.TrimSpace(otp); len(otp) < 32 {
				return exitcode.DataErr(fmt.Errorf("%q is not a Yubico OTP (at least 32 modhex characters)", otp))
			}
			cred := &seed.Token{}
			switch {
			case logFile != "" && key.IsSet():
				return usagef("--log conflicts with --secret-file/--secret-env")
			case logFile != "":
				opts := &convert.Options{}
				if err = pskc(opts); err != nil {
					return err
				}
				if cred, err = convert.FindYubicoOTP(logFile, logFormat, opts, otp); err != nil {
					return err
				}
				defer cred.Wipe()
			case key.IsSet():
				defer cred.Wipe()
				if cred.Secret, err = key.Bytes("AES key", seed.Hex); err != nil {
					return err
				}
				if !priv.IsSet() {
					return usagef("give the private ID with --private-id-file or --private-id-env")
				}
				if cred.PrivateID, err = priv.Bytes("private ID", seed.Hex); err != nil {
					return err
				}
			default:
				return usagef("give the credential: --log FILE, or --secret-file/--secret-env with --private-id-file/--private-id-env")
			}
			v, err := yubikey.VerifyOTP(otp, cred)
			if err != nil {
				return exitcode.DataErr(err)
			}
			if v.Counter() < minCounter {
				return exitcode.DataErr(fmt.Errorf("OTP counter %d is below --min-counter %d: replayed?", v.Counter(), minCounter))
			}
			return f.emit(v, c.OutOrStdout(), "%s\n", v)
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
