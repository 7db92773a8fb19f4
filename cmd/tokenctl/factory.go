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

// record appends what out prepared (convert.Output.Commit) after the
// device was written; a failure is convert.Output.NotRecorded's error
// (exit 3, the secret rescued when it was generated). what names the
// device, given where a supplied secret came from ("" if generated).
func (f *factory) record(out *convert.Output, what, given string) error {
	err := f.commitFails
	if err == nil {
		err = out.Commit()
	}
	return out.NotRecorded(err, what, given)
}

// secretsOut refuses secrets written to standard output (path "" or "-")
// where they cannot go: beside --json's report, or on a terminal (whose
// scrollback keeps them) without force.
func (f *factory) secretsOut(path string, force bool) error {
	switch toStdout := path == "" || path == "-"; {
	case toStdout && f.JSON:
		return usagef("--json prints the report on standard output, where the secrets would go too: give -o FILE")
	case toStdout && f.OutTTY && !force:
		return usagef("refusing to print secrets on a terminal (they would stay in its scrollback): give -o FILE, pipe the output, or --force")
	}
	return nil
}

// emit prints v as JSON on standard output with --json; otherwise the
// text, formatted, on w.
func (f *factory) emit(v any, w io.Writer, format string, a ...any) error {
	if f.JSON {
		return writeJSON(f.Out, v)
	}
	_, err := fmt.Fprintf(w, format, a...)
	return err
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
