package main

import (
	"fmt"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/tokenctl/tokenctl/batch"
	"github.com/tokenctl/tokenctl/ledger"
	"github.com/tokenctl/tokenctl/token2"
	"github.com/tokenctl/tokenctl/yubikey"
)

func newBatchCmd(f *factory) *cobra.Command {
	c := &cobra.Command{
		Use:   "batch",
		Short: "Provision a box of tokens one after another, recorded in a ledger",
		Long: `Program a whole box of tokens, one after another: wait for the next token,
read its serial, refuse a serial the ledger already holds (unless
--reprogram), generate the secret, record it in the ledger (on disk) before
anything is written to the token, program it, optionally verify it, record
the outcome, and ask for the token to be removed. Runs until --count tokens
are programmed or Ctrl-C.

A token whose earlier attempt was interrupted (crash, token pulled away) has
a pending or failed record holding the secret it may have received; when it
is presented again, that same secret is burned again (this needs the
ledger's key: --identity-file or --passphrase-file). A token that refused
authentication is recorded as failed and left alone when presented again
(Token2 tokens lock after repeated failures) until --reprogram. Several
batches, on one or several machines, may share a ledger: no serial is
programmed twice.

Each token's outcome is a line on standard output (a JSON object with
--json); instructions and, on a terminal, a progress line go to standard
error. Export the result with 'tokenctl ledger export'.`,
		Example: `  tokenctl ledger init --identity-out ~/keys/tokens.age tokens.ledger
  tokenctl batch token2 --ledger tokens.ledger --count 200 --batch box-17 --verify --identity-file ~/keys/tokens.age
  tokenctl batch yubikey --ledger tokens.ledger --count 50 --mode yubico-otp --slot 1
  tokenctl ledger export --ledger tokens.ledger --batch box-17 --to duo -o duo.csv --identity-file ~/keys/tokens.age`,
	}
	c.AddCommand(newBatchToken2Cmd(f), newBatchYubiKeyCmd(f), newBatchFIDOCmd(f), newBatchMoltoCmd(f))
	return c
}

// batchFlags are the options both batch commands share.
type batchFlags struct {
	lf        ledgerFlags
	count     int
	name      string
	reprogram bool
	noResume  bool
	verify    bool
	reader    string
	station   string
}

func (bf *batchFlags) add(c *cobra.Command) {
	c.PreRunE = func(*cobra.Command, []string) error {
		if bf.count < 0 {
			return usagef("--count %d: want a positive number", bf.count)
		}
		return nil
	}
	bf.lf.add(c, false)
	bf.lf.addOperator(c)
	c.Flags().IntVar(&bf.count, "count", 0, "stop after this many tokens are programmed (default: until Ctrl-C)")
	c.Flags().StringVar(&bf.name, "batch", "", "batch name recorded with each token (default: FAMILY-DATE-TIME)")
	c.Flags().BoolVar(&bf.reprogram, "reprogram", false, "burn a new secret into tokens the ledger already holds (their old record is kept as replaced)")
	c.Flags().BoolVar(&bf.noResume, "no-resume", false, "skip tokens with a pending or failed record instead of re-burning their recorded secret")
	c.Flags().BoolVar(&bf.verify, "verify", false, "have the operator check each token after programming (type its code, or touch the YubiKey)")
	c.Flags().StringVar(&bf.reader, "reader", "", "PC/SC reader to use, by name or part of it (default: the only reader)")
	c.Flags().StringVar(&bf.station, "station", "", "this station's name in the ledger (default: the host name)")
}

// runBatch opens the ledger, then the station (open, unless cfg has
// one), and runs cfg, checking each token with verify when --verify, with
// the CLI's output conventions; Ctrl-C ends it without error.
func (bf *batchFlags) runBatch(f *factory, cmd *cobra.Command, cfg batch.Config, verify batch.Verifier, open func() (batch.Station, func(), error)) error {
	l, err := bf.lf.Open(cmd.Context())
	if err != nil {
		return err
	}
	defer l.Close()
	if open != nil {
		st, release, err := open()
		if err != nil {
			return err
		}
		defer release()
		cfg.Station = st
	}
	if err := l.CanWrite(); err != nil {
		return err
	}
	cfg.Ledger, cfg.Count, cfg.Reprogram, cfg.NoResume, cfg.Batch = l, bf.count, bf.reprogram, bf.noResume, bf.name
	cfg.Operator = bf.lf.operatorName()
	if bf.verify {
		cfg.Verify = verify
	}
	if bf.station != "" {
		l.Station = bf.station
	}
	ctx, stop := interruptible(cmd.Context())
	defer stop()
	_, err = batch.Console{Out: f.Out, Err: f.Err, JSON: f.JSON, Progress: f.ErrTTY}.Run(ctx, cfg, ledger.SpecName(bf.lf.Path))
	if err != nil && ctx.Err() != nil && cmd.Context().Err() == nil {
		fmt.Fprintln(f.Err, "interrupted")
		return nil
	}
	return err
}

func newBatchToken2Cmd(f *factory) *cobra.Command {
	var bf batchFlags
	var hash string
	var period, display, nbytes int
	c := &cobra.Command{
		Use:   "token2 [--count N] [--batch NAME] [--verify]",
		Short: "Burn a box of Token2 programmable TOTP tokens laid one after another on the reader",
		Long: `Burn Token2 programmable TOTP tokens (OTPC-P1/P2, miniOTP-2/3, C301/C302)
laid one after another on a PC/SC (NFC) reader. Each gets a new random seed
(20 bytes for SHA-1, 32 for SHA-256), the host's clock, and the hash and
time step asked for. With --verify, the operator types the code the token
then shows, and the token is recorded as verified when it matches.`,
		Example: `  tokenctl batch token2 --ledger tokens.ledger --count 200 --batch box-17 --verify
  tokenctl batch token2 --hash sha256 --period 60 --reader ACR122 --json > box-18.jsonl`,
		Args: cobra.NoArgs,
	}
	bf.add(c)
	c.Flags().StringVar(&hash, "hash", "sha1", "TOTP hash: sha1 or sha256")
	c.Flags().IntVar(&period, "period", 30, "TOTP time step: 30 or 60 seconds")
	c.Flags().IntVar(&display, "display", 30, "display timeout: 15, 30, 60 or 120 seconds")
	c.Flags().IntVar(&nbytes, "bytes", 0, "secret length in bytes (default: 20 for SHA-1, 32 for SHA-256)")
	c.RunE = func(cmd *cobra.Command, args []string) error {
		p, err := token2.Settings{Hash: hash, Period: strconv.Itoa(period), Display: strconv.Itoa(display)}.Params()
		if err != nil {
			return err
		}
		if nbytes != 0 && (nbytes < token2.MinSeedLen || nbytes > token2.MaxSeedLen) {
			return usagef("--bytes %d: a Token2 token takes %d to %d bytes", nbytes, token2.MinSeedLen, token2.MaxSeedLen)
		}
		cfg := batch.Config{Recipe: batch.Token2Recipe{Hash: p.Hash, Period: period, Bytes: nbytes}}
		return bf.runBatch(f, cmd, cfg, &batch.CodeVerifier{Prompt: batch.NewLinePrompter(f.In, f.Err)}, func() (batch.Station, func(), error) { return batch.NewToken2Station(f.Devices, bf.reader, p.Display) })
	}
	return c
}

func newBatchYubiKeyCmd(f *factory) *cobra.Command {
	var bf batchFlags
	var transport, mode string
	var slot, digits int
	var force, randomID, accessCode bool
	c := &cobra.Command{
		Use:   "yubikey [--mode yubico-otp|hotp] [--slot 1|2] [--count N]",
		Short: "Personalize a box of YubiKeys inserted one after another",
		Long: `Personalize an OTP slot of YubiKeys presented one after another: plugged
into USB (--transport hid: each newly inserted key) or laid on a PC/SC
reader (--transport ccid, NFC). Each key gets a new credential:

  yubico-otp  public ID from the serial ("vv..." as ykman's --serial-public-id,
              or random with --random-public-id), random private ID and AES key
  hotp        OATH-HOTP (SHA-1) with a random 20-byte key, 6 or 8 digits

A slot that is already programmed is not overwritten unless --force (or the
ledger knows the key: --reprogram, or a resumed pending record). With
--verify the operator touches the key (hold about 3 s for slot 2) and the
code it types is checked. With --random-access-code each slot is locked
with its own random access code, kept sealed in the ledger with the secret
and written to Yubico-format exports.`,
		Example: `  tokenctl batch yubikey --ledger tokens.ledger --count 50 --verify
  tokenctl batch yubikey --mode hotp --digits 8 --slot 2 --transport ccid --reader 'Virtual PCD 00 01'
  tokenctl batch yubikey --random-access-code --batch okta-3 && tokenctl ledger export --batch okta-3 --to yubico -o okta.csv --identity-file k.age`,
		Args: cobra.NoArgs,
	}
	bf.add(c)
	c.Flags().StringVar(&transport, "transport", "", "hid (USB) or ccid (PC/SC reader, NFC); default: ccid with --reader, else hid when USB works")
	c.Flags().StringVar(&mode, "mode", "yubico-otp", "credential: yubico-otp or hotp")
	c.Flags().IntVar(&slot, "slot", 1, "OTP slot: 1 (short touch) or 2 (long touch)")
	c.Flags().IntVar(&digits, "digits", 6, "HOTP digits: 6 or 8")
	c.Flags().BoolVar(&force, "force", false, "overwrite a slot that is already programmed on keys the ledger does not know")
	c.Flags().BoolVar(&randomID, "random-public-id", false, "Yubico OTP: a random public ID (vv + 10 modhex) instead of one from the serial")
	c.Flags().BoolVar(&accessCode, "random-access-code", false, "protect each slot with its own random access code, sealed in the ledger (exported in Yubico logs)")
	c.RunE = func(cmd *cobra.Command, args []string) error {
		r, err := batch.NewYubiKeyRecipe(mode, digits, randomID, accessCode)
		if err != nil {
			return err
		}
		st, release, err := batch.NewYubiKeyStation(f.Devices, transport, bf.reader, yubikey.Slot(slot))
		if err != nil {
			return err
		}
		defer release()
		cfg := batch.Config{Station: st, Recipe: r, Slot: slot, Force: force}
		return bf.runBatch(f, cmd, cfg, &batch.TouchVerifier{Prompt: batch.NewLinePrompter(f.In, f.Err)}, nil)
	}
	return c
}
