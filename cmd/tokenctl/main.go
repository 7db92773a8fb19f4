// Command tokenctl provisions hardware OTP tokens: it converts and validates
// seed files, burns Token2 programmable tokens over PC/SC, personalizes
// YubiKey OTP slots, and runs whole batches against a ledger.
//
// Commands are thin: each file in this directory parses flags for one noun
// and calls the packages that do the work. Exit codes: 0 success, 1 invalid
// data (nothing written), 2 usage, 3 device or transport error.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/tokenctl/tokenctl/internal/exitcode"
	"github.com/tokenctl/tokenctl/nfc"
	"github.com/tokenctl/tokenctl/sim/vpcd"
)

// commands is filled by each command file's init with its top-level nouns.
var commands []func() *cobra.Command

func register(f func() *cobra.Command) { commands = append(commands, f) }

// simCommands are the subcommands of "tokenctl sim" (one per emulated device).
var simCommands []func() *cobra.Command

func registerSim(f func() *cobra.Command) { simCommands = append(simCommands, f) }

func newSimCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "sim",
		Short: "Run emulated tokens in a virtual PC/SC reader, to try everything without hardware",
		Long: `Run an emulated device behind vsmartcard's virtual reader (vpcd) so that
every tokenctl command, and other PC/SC tools such as ykman, can talk to it
through the real pcscd. Runs until interrupted.`,
		Example: "  tokenctl sim token2 --serial 86596120001 &\n  tokenctl token2 info --reader 'Virtual PCD 00 00'",
	}
	for _, f := range simCommands {
		c.AddCommand(f())
	}
	return c
}

// simHost is an emulator stream's view of the virtual reader behind port
// through pcscd, so that it sees pcscd take each token in and out (pcscd
// polls vpcd, and misses a quick swap or a late power-up). When pcscd does
// not answer it is nil, and the stream falls back to fixed pauses. Call
// release when the stream is done.
func simHost(port int) (host vpcd.Host, release func()) {
	pc, err := nfc.NewContext()
	if err != nil {
		return nil, func() {}
	}
	return vpcd.PCSC{PC: pc, Port: port, Wait: 30 * time.Second}, func() { pc.Release() }
}

// globals are the flags every command shares.
type globals struct {
	JSON bool
}

var global globals

func newRoot() *cobra.Command {
	root := &cobra.Command{
		Use:   "tokenctl",
		Short: "Provision hardware OTP tokens: convert seed files, burn Token2 tokens, personalize YubiKeys",
		Long: `tokenctl turns a box of hardware OTP tokens into working second factors.

  Seed files:  tokenctl convert --from entra --to duo -o duo.csv tokens.csv
  Token2:      tokenctl token2 burn --generate -o duo.csv --to duo
  YubiKey:     tokenctl yubikey otp 1 --generate --log okta.csv --log-format yubico
  Batches:     tokenctl batch token2 --count 200 --ledger tokens.db

Secrets come from files, standard input or environment variables, never
from the command line. Exit codes: 0 success, 1 invalid data (nothing
written), 2 usage, 3 device or transport error.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentFlags().BoolVar(&global.JSON, "json", false, "print a machine-readable JSON report on stdout")
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return exitcode.UsageErr(fmt.Errorf("%w\nsee '%s --help'", err, c.CommandPath()))
	})
	for _, f := range commands {
		root.AddCommand(f())
	}
	root.AddCommand(newSimCmd())
	setVersion(root)
	return root
}

// run executes the CLI and returns the exit code.
func run(args []string, stdout, stderr io.Writer) int {
	global = globals{}
	root := newRoot()
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.Execute()
	if err == nil {
		return exitcode.OK
	}
	code := exitcode.Of(err)
	var ee *exitcode.Error
	if !errors.As(err, &ee) && isUsageError(err) {
		code = exitcode.Usage
	}
	fmt.Fprintln(stderr, "tokenctl:", err)
	return code
}

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }
