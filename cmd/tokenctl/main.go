// Command tokenctl provisions hardware OTP tokens: it converts and validates
// seed files, burns Token2 programmable tokens over PC/SC, personalizes
// YubiKey OTP slots, and runs whole batches against a ledger.
//
// Commands are thin: each parses its flags and calls the packages that do
// the work (device to reach a token, convert to read and write seed
// files, ledger, batch). What a command needs from outside comes from a
// factory. The exit code is decided in one place (exitcode.Classify):
// 0 success, 1 invalid data (nothing written), 2 usage, 3 device or
// transport error.
package main

import (
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/tokenctl/tokenctl/internal/buildinfo"
	"github.com/tokenctl/tokenctl/internal/exitcode"
)

func newRoot(f *factory) *cobra.Command {
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
	root.PersistentFlags().BoolVar(&f.JSON, "json", false, "print a machine-readable JSON report on stdout")
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return exitcode.UsageErr(fmt.Errorf("%w\nsee '%s --help'", err, c.CommandPath()))
	})
	for _, cmd := range []func(*factory) *cobra.Command{
		newConvertCmd, newValidateCmd, newFormatsCmd, newCodeCmd, newCheckCmd, newSeedCmd,
		newToken2Cmd, newYubiKeyCmd, newBatchCmd, newLedgerCmd, newUploadCmd, newDevicesCmd, newVersionCmd,
	} {
		root.AddCommand(cmd(f))
	}
	buildinfo.SetVersion(root)
	exitcode.MarkUsage(root)
	return root
}

// runWith executes the command line with f and returns the exit code.
func runWith(f *factory, args []string) int {
	root := newRoot(f)
	root.SetArgs(args)
	root.SetIn(f.In)
	root.SetOut(f.Out)
	root.SetErr(f.Err)
	err := root.Execute()
	if err == nil {
		return exitcode.OK
	}
	fmt.Fprintln(f.Err, "tokenctl:", err)
	return exitcode.Classify(err)
}

// run executes the command line against the real world.
func run(args []string, stdout, stderr io.Writer) int {
	return runWith(newFactory(stdout, stderr), args)
}

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }
