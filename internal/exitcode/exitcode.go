// Package exitcode carries the CLI's exit status with an error:
// 1 invalid data (nothing written), 2 usage, 3 device or transport error.
package exitcode

import "errors"

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

// Of returns the exit code for err: its tag, or 1 for an untagged error.
func Of(err error) int {
	if err == nil {
		return OK
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return Data
}
