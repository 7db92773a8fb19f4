package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/tokenctl/tokenctl/device"
	"github.com/tokenctl/tokenctl/internal/secretin"
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

type fidoConn struct{ reader, wait string }

func (o *fidoConn) add(c *cobra.Command) {
	c.Flags().StringVar(&o.reader, "reader", "", "PC/SC reader name or part of it")
	c.Flags().StringVar(&o.wait, "wait", "", "wait for a key: --wait for as long as it takes, --wait=30s at most that long")
	c.Flags().Lookup("wait").NoOptDefVal = "forever"
}

// open reaches the key and selects the applet (device.OpenFIDO).
func (o *fidoConn) open(c *cobra.Command, f *factory) (*device.FIDO, error) {
	w, err := device.ParseWait(o.wait)
	if err != nil {
		return nil, usagef("--wait=%s: %v", o.wait, err)
	}
	return f.Devices.OpenFIDO(c.Context(), device.CardOptions{Reader: o.reader, Wait: w, What: "a FIDO2 key"})
}

type fidoInfo struct {
	Reader      string `json:"reader"`
	PublicKey   string `json:"public_key_sha256"`
	Transmitter string `json:"transport"`
}

func newToken2FIDOInfoCmd(f *factory) *cobra.Command {
	var conn fidoConn
	c := &cobra.Command{
		Use:     "info",
		Short:   "Check that a key has the OTP applet, and show its public key's fingerprint",
		Example: "  tokenctl token2 fido info --reader 'Virtual PCD 00 00' --json",
		Args:    cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			k, err := conn.open(c, f)
			if err != nil {
				return err
			}
			defer k.Close()
			pub, err := k.Session.PublicKey()
			if err != nil {
				return err
			}
			sum := sha256.Sum256(pub.Bytes())
			r := fidoInfo{Reader: k.Reader, PublicKey: hex.EncodeToString(sum[:]), Transmitter: "pcsc"}
			if f.JSON {
				return writeJSON(f.Out, r)
			}
			fmt.Fprintf(f.Out, "reader:     %s\napplet:     Token2 OTP\npublic key: SHA-256 %s\n", r.Reader, r.PublicKey)
			return nil
		},
	}
	conn.add(c)
	return c
}

type fidoHOTPReport struct {
	Serial string `json:"serial"`
	Digits int    `json:"digits"`
	Reader string `json:"reader"`
	Output string `json:"output,omitempty"`
	Format string `json:"format,omitempty"`
}

func newToken2FIDOHOTPCmd(f *factory) *cobra.Command {
	var (
		conn                        fidoConn
		out                         t2Output
		src                         *secretin.Source
		serial                      string
		digits, length              int
		generate, noEnter, long, kp bool
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
			if generate == src.IsSet() {
				return usagef("give the seed with --secret-file or --secret-env, or --generate (exactly one)")
			}
			if generate && out.path == "" {
				return usagef("--generate without -o FILE --to FORMAT would seal a seed that is kept nowhere")
			}
			var secret []byte
			var err error
			if generate {
				secret, err = seed.Generate(length)
			} else {
				secret, err = src.Bytes("seed", seed.Hex, seed.Base32)
			}
			if err != nil {
				return err
			}
			defer seed.Zero(secret)
			if len(secret) == 0 || len(secret) > fido.MaxSeed {
				return fmt.Errorf("seed: %d bytes, the key takes 1 to %d", len(secret), fido.MaxSeed)
			}
			tok := &seed.Token{Serial: serial, Kind: seed.HOTP, Hash: seed.SHA1, Digits: digits, Manufacturer: "Token2", Model: "FIDO2", Secret: secret}
			defer out.close()
			if err := out.preflight(tok); err != nil {
				return err
			}
			if err := out.prepare(tok); err != nil {
				return err
			}
			k, err := conn.open(c, f)
			if err != nil {
				return err
			}
			defer k.Close()
			if err := k.Session.SetButtonHOTP(digits, secret); err != nil {
				return err
			}
			if err := k.Session.SetOptions(fido.Options{NoEnter: noEnter, LongPress: long, Keypad: kp}); err != nil {
				return fmt.Errorf("key %s holds its new seed, but its options were not all set: %w", serial, err)
			}
			if out.out != nil {
				given := ""
				if !generate {
					given = src.Name()
				}
				if err := f.record(out.out, "key "+serial, given); err != nil {
					return err
				}
			}
			r := fidoHOTPReport{Serial: serial, Digits: digits, Reader: k.Reader, Output: out.path, Format: out.format}
			if f.JSON {
				return writeJSON(f.Out, r)
			}
			fmt.Fprintln(f.Out, serial)
			fmt.Fprintf(f.Err, "key %s: button HOTP set (%d digits, counter 0)%s\n", serial, digits, appended(out.path, out.format))
			return nil
		},
	}
	conn.add(c)
	out.add(c)
	src = secretFlags(c, "", "the seed (hex or base32)")
	c.Flags().StringVar(&serial, "serial", "", "the serial printed on the key (recorded in the output)")
	c.Flags().IntVar(&digits, "digits", 6, "code length: 6 or 8")
	c.Flags().IntVar(&length, "length", 20, "seed length in bytes with --generate")
	c.Flags().BoolVar(&generate, "generate", false, "generate a random seed (needs -o)")
	c.Flags().BoolVar(&noEnter, "no-enter", false, "do not type Enter after the code")
	c.Flags().BoolVar(&long, "long-press", false, "type the code on a long press only")
	c.Flags().BoolVar(&kp, "keypad", false, "type with keypad scan codes (works with any keyboard layout)")
	return c
}

// appended says where a token was appended, for messages.
func appended(path, format string) string {
	if path == "" {
		return ""
	}
	return fmt.Sprintf("; appended to %s (%s)", path, format)
}
