package main

import (
	"github.com/spf13/cobra"

	"github.com/tokenctl/tokenctl/device"
	"github.com/tokenctl/tokenctl/seed"
	"github.com/tokenctl/tokenctl/token2/fido"
)

func newToken2FIDOCmd(f *factory) *cobra.Command {
	c := &cobra.Command{
		Use:   "fido",
		Short: "Program the button HOTP of Token2 FIDO2 keys (T2F2, PIN+) for Duo's HOTP method",
		Long: `Token2's FIDO2 keys carry an OTP applet: touched, the key types an HOTP
code. The seed is sealed to the key's own P-256 key (ECDH, AES-256) before it
leaves the host. Over PC/SC: the key's CCID interface on USB, or NFC.
The applet has no serial number to read: give the one printed on the key
(--serial), which is what Duo's import line carries.`,
		Example: `  tokenctl token2 fido info --reader 'Virtual PCD 00 00'
  tokenctl token2 fido hotp --serial T2F2-0001 --generate --digits 8 -o duo.csv --to duo-hotp`,
	}
	c.AddCommand(newToken2FIDOInfoCmd(f), newToken2FIDOHOTPCmd(f))
	return c
}

func newToken2FIDOInfoCmd(f *factory) *cobra.Command {
	var conn t2Conn
	c := &cobra.Command{
		Use:     "info",
		Short:   "Check that a key has the OTP applet, and show its public key's fingerprint",
		Example: "  tokenctl token2 fido info --reader 'Virtual PCD 00 00' --json",
		Args:    cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			k, err := fidoOpen(c, f, &conn)
			if err != nil {
				return err
			}
			defer k.Close()
			pub, err := k.Session.PublicKey()
			if err != nil {
				return err
			}
			r := fido.KeyInfo{Reader: k.Reader, PublicKey: fido.Fingerprint(pub), Transport: "pcsc"}
			return f.emit(r, f.Out, "%s", r)
		},
	}
	conn.add(c, "a key", true)
	return c
}

func newToken2FIDOHOTPCmd(f *factory) *cobra.Command {
	var (
		conn              t2Conn
		sd                t2Seed
		serial            string
		digits            int
		noEnter, long, kp bool
	)
	c := &cobra.Command{
		Use:   "hotp",
		Short: "Seal a seed into a key's button HOTP and record it (Duo's HOTP import line)",
		Long: `Seal an HOTP seed into the key's button (counter 0) with 6 or 8 digits, set
the button options, and append the key to a seed file (-o FILE --to FORMAT,
e.g. duo-hotp: serial, hex seed, counter 0). The seed comes from
--secret-file/--secret-env (hex or base32) or is generated (--generate, 20
bytes), which needs -o: the key never gives a seed back. Everything about the
file is checked before the key is written.`,
		Example: `  tokenctl token2 fido hotp --serial T2F2-0001 --generate --digits 8 -o duo.csv --to duo-hotp
  tokenctl token2 fido hotp --serial T2F2-0002 --secret-file seed.hex --long-press -o duo.csv --to duo-hotp`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if serial == "" {
				return usagef("--serial: the serial printed on the key (the applet cannot report it)")
			}
			if digits != 6 && digits != 8 {
				return usagef("--digits %d: want 6 or 8", digits)
			}
			if err := sd.one("give the seed with --secret-file or --secret-env, or --generate (exactly one)", "seal a seed that is kept nowhere"); err != nil {
				return err
			}
			secret, err := sd.secret(sd.length, func() ([]byte, error) { return sd.src.Bytes("seed", seed.Hex, seed.Base32) })
			if err != nil {
				return err
			}
			defer seed.Zero(secret)
			tok := fido.Credential(serial, digits, secret)
			if err := fido.CheckCredential(tok); err != nil {
				return err
			}
			if err := sd.preflight(tok); err != nil {
				return err
			}
			defer sd.out.Close()
			if err := sd.out.Take(tok); err != nil {
				return err
			}
			k, err := fidoOpen(c, f, &conn)
			if err != nil {
				return err
			}
			defer k.Close()
			if err := k.Session.Program(tok, fido.Options{NoEnter: noEnter, LongPress: long, Keypad: kp}); err != nil {
				return err
			}
			r := fido.Programmed{Serial: serial, Digits: digits, Reader: k.Reader, Output: sd.path, Format: sd.format}
			return sd.done(f, "key "+serial, serial, r, r.Note())
		},
	}
	conn.add(c, "a key", true)
	sd.add(c, "the seed (hex or base32)", "generate a random seed (needs -o)", 20, "seed length in bytes with --generate")
	c.Flags().StringVar(&serial, "serial", "", "the serial printed on the key (recorded in the output)")
	c.Flags().IntVar(&digits, "digits", 6, "code length: 6 or 8")
	c.Flags().BoolVar(&noEnter, "no-enter", false, "do not type Enter after the code")
	c.Flags().BoolVar(&long, "long-press", false, "type the code on a long press only")
	c.Flags().BoolVar(&kp, "keypad", false, "type with keypad scan codes (works with any keyboard layout)")
	return c
}

// fidoOpen reaches the key and selects the applet (device.OpenFIDO).
func fidoOpen(c *cobra.Command, f *factory, conn *t2Conn) (*device.FIDO, error) {
	o, err := conn.card("a FIDO2 key")
	if err != nil {
		return nil, err
	}
	return f.Devices.OpenFIDO(c.Context(), o)
}
