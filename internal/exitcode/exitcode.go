// Package exitcode decides the exit status of tokenctl's commands, in one
// place (Classify): 0 success, 1 invalid data (nothing written), 2 usage,
// 3 device or transport error.
//
// Libraries do not import this package. Their errors say what kind they
// are through a method, as net.Error says Timeout():
//
//	DeviceError() bool   // the device or its transport failed: exit 3
//	UsageError() bool    // the request cannot be done as asked: exit 2
//
// (apdu.StatusError, nfc.Error, yubikey.WriteError, device.Error,
// convert.UsageError... implement them). Anything else a command returns
// is invalid data (exit 1). A command tags an error itself (UsageErr,
// DataErr, DeviceErr) only where it knows better than the library, and
// an error that cobra returns before a command runs (an unknown flag or
// command, a wrong number of arguments, a missing required flag) is a
// usage error: MarkUsage tells those apart without reading their text.
package exitcode

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"
)

const (
	OK     = 0
	Data   = 1
	Usage  = 2
	Device = 3
)

// Error is an error with the exit code the process should end with.
type Error struct {
	Code int
	Err  error
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// Wrap tags err with code (nil stays nil).
func Wrap(code int, err error) error {
	if err == nil {
		return nil
	}
	return &Error{Code: code, Err: err}
}

// DataErr, UsageErr and DeviceErr tag err with the matching code.
func DataErr(err error) error   { return Wrap(Data, err) }
func UsageErr(err error) error  { return Wrap(Usage, err) }
func DeviceErr(err error) error { return Wrap(Device, err) }

// Of is Classify for errors that did not come through a command tree
// marked by MarkUsage (batch and library callers): a tag, else the kind
// the error declares, else invalid data.
func Of(err error) int {
	if err == nil {
		return OK
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	var dev interface{ DeviceError() bool }
	if errors.As(err, &dev) && dev.DeviceError() {
		return Device
	}
	var use interface{ UsageError() bool }
	if errors.As(err, &use) && use.UsageError() {
		return Usage
	}
	return Data
}

// ranError marks an error that a command's RunE returned.
type ranError struct{ err error }

func (r *ranError) Error() string { return r.err.Error() }
func (r *ranError) Unwrap() error { return r.err }

// MarkUsage wraps the RunE of every command under root so that Classify
// can tell an error the command returned from one cobra returned before
// running it (a usage error, whatever its text). A command group given an
// argument it has no subcommand for ('tokenctl ledger nosuch') is a usage
// error too, as at the top level; alone, a group prints its help.
func MarkUsage(root *cobra.Command) {
	if root.HasSubCommands() && root.HasParent() && root.Run == nil && root.RunE == nil {
		root.Args = cobra.ArbitraryArgs
		root.RunE = func(c *cobra.Command, args []string) error {
			if len(args) > 0 {
				return UsageErr(fmt.Errorf("unknown command %q for %q\nsee '%s --help'", args[0], c.CommandPath(), c.CommandPath()))
			}
			return c.Help()
		}
	}
	if run := root.RunE; run != nil {
		root.RunE = func(c *cobra.Command, args []string) error {
			if err := run(c, args); err != nil {
				return &ranError{err}
			}
			return nil
		}
	}
	for _, c := range root.Commands() {
		MarkUsage(c)
	}
}

// Classify returns the exit code of err, an error from a command tree
// marked by MarkUsage: a tag wins; an error from before the command ran
// is a usage error; otherwise the kind the error declares (Of).
func Classify(err error) int {
	if err == nil {
		return OK
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	var ran *ranError
	if !errors.As(err, &ran) {
		return Usage
	}
	return Of(err)
}
