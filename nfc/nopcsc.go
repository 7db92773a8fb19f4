//go:build !cgo && !windows

package nfc

import (
	"context"
	"errors"
	"runtime"
)

// ErrNoPCSC is NewContext's error in a build of tokenctl without PC/SC: on
// Linux and macOS the PC/SC library is reached through cgo, and this
// binary was built with CGO_ENABLED=0.
var ErrNoPCSC = errors.New("this build of tokenctl has no PC/SC support: it was built without cgo for " +
	runtime.GOOS + "/" + runtime.GOARCH + ", and PC/SC (pcsc-lite, or the PCSC framework on macOS) needs it; " +
	"use a release build or build with CGO_ENABLED=1")

// Supported reports whether this build can talk to PC/SC readers.
func Supported() bool { return false }

// Context cannot be had in this build: NewContext always fails. The
// methods exist so that the commands compile; each returns ErrNoPCSC.
type Context struct{}

// NewContext returns ErrNoPCSC: this build has no PC/SC support.
func NewContext() (*Context, error) { return nil, ErrNoPCSC }

// Release does nothing.
func (c *Context) Release() error { return nil }

// Cancel does nothing.
func (c *Context) Cancel() error { return nil }

// Readers returns ErrNoPCSC.
func (c *Context) Readers() ([]string, error) { return nil, ErrNoPCSC }

// FindReader returns ErrNoPCSC.
func (c *Context) FindReader(string) (string, error) { return "", ErrNoPCSC }

// WaitForCard returns ErrNoPCSC.
func (c *Context) WaitForCard(context.Context, string) error { return ErrNoPCSC }

// WaitForRemoval returns ErrNoPCSC.
func (c *Context) WaitForRemoval(context.Context, string) error { return ErrNoPCSC }

// WaitForAnyCard returns ErrNoPCSC.
func (c *Context) WaitForAnyCard(context.Context, []string) (string, error) { return "", ErrNoPCSC }

// Connect returns ErrNoPCSC.
func (c *Context) Connect(string) (*Card, error) { return nil, ErrNoPCSC }

// Card cannot be had in this build (see Context).
type Card struct{}

// Reader is empty.
func (c *Card) Reader() string { return "" }

// ATR is empty.
func (c *Card) ATR() []byte { return nil }

// Protocol is "raw".
func (c *Card) Protocol() string { return "raw" }

// Transmit returns ErrNoPCSC.
func (c *Card) Transmit([]byte) ([]byte, error) { return nil, ErrNoPCSC }

// Close does nothing.
func (c *Card) Close() error { return nil }

// libraryText: there is no PC/SC library to ask.
func libraryText(Code) string { return "" }
