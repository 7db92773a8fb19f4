// Command tokenctl-sim runs emulated tokens behind vsmartcard's virtual
// PC/SC reader (vpcd), so that every tokenctl command, and other PC/SC
// tools such as ykman, can be tried through the real pcscd without
// hardware. It is built for the demo and the tests, and is not shipped:
// the released tokenctl carries no card emulator.
//
// Exit codes follow tokenctl's: 0 success, 2 usage, 3 device or transport
// error.
package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/tokenctl/tokenctl/internal/buildinfo"
	"github.com/tokenctl/tokenctl/internal/exitcode"
	"github.com/tokenctl/tokenctl/nfc"
	"github.com/tokenctl/tokenctl/sim/vpcd"
)

// commands are the emulated devices, one subcommand each.
var commands = []func() *cobra.Command{newSimToken2Cmd, newSimYubiKeyCmd}

func newRoot() *cobra.Command {
	root := &cobra.Command{
		Use:   "tokenctl-sim",
		Short: "Run emulated tokens in a virtual PC/SC reader, to try tokenctl without hardware",
		Long: `Run an emulated device behind vsmartcard's virtual reader (vpcd) so that
every tokenctl command, and other PC/SC tools such as ykman, can talk to it
through the real pcscd. Runs until interrupted.`,
		Example:       "  tokenctl-sim token2 --serial 86596120001 &\n  tokenctl token2 info --reader 'Virtual PCD 00 00'",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return exitcode.UsageErr(fmt.Errorf("%w\nsee '%s --help'", err, c.CommandPath()))
	})
	for _, f := range commands {
		root.AddCommand(f())
	}
	buildinfo.SetVersion(root)
	exitcode.MarkUsage(root)
	return root
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

// usagef is a usage error (exit 2).
func usagef(format string, a ...any) error { return exitcode.UsageErr(fmt.Errorf(format, a...)) }

// run executes the command line and returns the exit code.
func run(args []string, stdout, stderr io.Writer) int {
	root := newRoot()
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.Execute()
	if err == nil {
		return exitcode.OK
	}
	fmt.Fprintln(stderr, "tokenctl-sim:", err)
	return exitcode.Classify(err)
}

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }
