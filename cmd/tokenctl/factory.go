package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/tokenctl/tokenctl/convert"
	"github.com/tokenctl/tokenctl/device"
)

// factory hands every command what it needs from the outside world, as
// cli/cli's Factory does: standard streams and whether they are
// terminals, the devices, the --json flag. Tests build their own
// (testFactory) instead of replacing package globals, so they can run in
// parallel.
type factory struct {
	In       io.Reader
	Out, Err io.Writer
	// InTTY: standard input is a terminal (questions may be asked there);
	// ErrTTY: standard error is one (progress and prompts are shown);
	// ANSI: escape sequences may be written to it.
	InTTY, OutTTY, ErrTTY, ANSI bool
	// Devices finds and opens tokens, for the commands and batch alike.
	Devices device.Env
	// JSON is the --json flag.
	JSON bool
	// commitFails, in tests, is the error appending a programmed
	// credential to its output file meets (a full disk).
	commitFails error
}

// commit appends what out prepared (convert.Output.Commit).
func (f *factory) commit(out *convert.Output) error {
	if f.commitFails != nil {
		return f.commitFails
	}
	return out.Commit()
}

// newFactory is the real world: the process's streams and devices.
func newFactory(stdout, stderr io.Writer) *factory {
	f := &factory{In: os.Stdin, Out: stdout, Err: stderr}
	f.InTTY = isTerminal(os.Stdin)
	f.OutTTY = stdout == io.Writer(os.Stdout) && isTerminal(os.Stdout)
	if stderr == io.Writer(os.Stderr) && isTerminal(os.Stderr) {
		f.ErrTTY, f.ANSI = true, ansiOK(os.Stderr)
	}
	f.Devices.Prompt = f.prompt
	return f
}

// prompt tells the operator what to do, on a terminal only.
func (f *factory) prompt(msg string) {
	if f.ErrTTY {
		fmt.Fprintln(f.Err, msg)
	}
}

// interruptible is ctx cancelled by Ctrl-C or SIGTERM.
func interruptible(ctx context.Context) (context.Context, context.CancelFunc) {
	if ctx == nil {
		ctx = context.Background()
	}
	return signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
}
