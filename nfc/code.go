package nfc

import (
	"errors"
	"fmt"
	"strings"
)

// Code is a PC/SC return code (SCARD_E_..., SCARD_W_..., SCARD_F_...). The
// values are the PC/SC specification's, the same in pcsc-lite, Windows
// (winscard.dll) and macOS, so this type exists in every build, with PC/SC
// support or without.
type Code uint32

// The PC/SC codes tokenctl names.
const (
	ErrInternalError        Code = 0x80100001
	ErrCancelled            Code = 0x80100002
	ErrInvalidHandle        Code = 0x80100003
	ErrInvalidParameter     Code = 0x80100004
	ErrNoMemory             Code = 0x80100006
	ErrInsufficientBuffer   Code = 0x80100008
	ErrUnknownReader        Code = 0x80100009
	ErrTimeout              Code = 0x8010000A
	ErrSharingViolation     Code = 0x8010000B
	ErrNoSmartcard          Code = 0x8010000C
	ErrUnknownCard          Code = 0x8010000D
	ErrProtoMismatch        Code = 0x8010000F
	ErrNotReady             Code = 0x80100010
	ErrSystemCancelled      Code = 0x80100012
	ErrCommError            Code = 0x80100013
	ErrUnknownError         Code = 0x80100014
	ErrInvalidAtr           Code = 0x80100015
	ErrNotTransacted        Code = 0x80100016
	ErrReaderUnavailable    Code = 0x80100017
	ErrReaderUnsupported    Code = 0x8010001A
	ErrCardUnsupported      Code = 0x8010001C
	ErrNoService            Code = 0x8010001D
	ErrServiceStopped       Code = 0x8010001E
	ErrUnsupportedFeature   Code = 0x8010001F
	ErrNoAccess             Code = 0x80100027
	ErrNoReadersAvailable   Code = 0x8010002E
	ErrCommDataLost         Code = 0x8010002F
	ErrServerTooBusy        Code = 0x80100031
	ErrUnsupportedCard      Code = 0x80100065
	ErrUnresponsiveCard     Code = 0x80100066
	ErrUnpoweredCard        Code = 0x80100067
	ErrResetCard            Code = 0x80100068
	ErrRemovedCard          Code = 0x80100069
	ErrSecurityViolation    Code = 0x8010006A
	ErrCancelledByUser      Code = 0x8010006E
	ErrCardNotAuthenticated Code = 0x8010006F
)

// Error renders the code as Describe does.
func (c Code) Error() string { return Describe(c) }

// Describe renders a PC/SC code as NAME (0xCODE): meaning.
func Describe(code Code) string {
	if n, ok := codeNames[code]; ok {
		return fmt.Sprintf("%s (0x%08X): %s", n.name, uint32(code), n.meaning)
	}
	return fmt.Sprintf("PC/SC error 0x%08X%s", uint32(code), libraryText(code))
}

type codeName struct{ name, meaning string }

var codeNames = map[Code]codeName{
	ErrInternalError:        {"SCARD_F_INTERNAL_ERROR", "internal error in the PC/SC service"},
	ErrCancelled:            {"SCARD_E_CANCELLED", "the operation was cancelled"},
	ErrInvalidHandle:        {"SCARD_E_INVALID_HANDLE", "invalid handle (card or context already released)"},
	ErrInvalidParameter:     {"SCARD_E_INVALID_PARAMETER", "invalid parameter"},
	ErrNoMemory:             {"SCARD_E_NO_MEMORY", "out of memory"},
	ErrInsufficientBuffer:   {"SCARD_E_INSUFFICIENT_BUFFER", "response larger than the buffer"},
	ErrUnknownReader:        {"SCARD_E_UNKNOWN_READER", "no such reader (unplugged?)"},
	ErrTimeout:              {"SCARD_E_TIMEOUT", "timed out"},
	ErrSharingViolation:     {"SCARD_E_SHARING_VIOLATION", "another program is using the card"},
	ErrNoSmartcard:          {"SCARD_E_NO_SMARTCARD", "no card in the reader"},
	ErrUnknownCard:          {"SCARD_E_UNKNOWN_CARD", "unknown card"},
	ErrProtoMismatch:        {"SCARD_E_PROTO_MISMATCH", "the card does not speak the requested protocol"},
	ErrNotReady:             {"SCARD_E_NOT_READY", "the reader or card is not ready"},
	ErrSystemCancelled:      {"SCARD_E_SYSTEM_CANCELLED", "cancelled by the system"},
	ErrCommError:            {"SCARD_F_COMM_ERROR", "communication error with the reader"},
	ErrUnknownError:         {"SCARD_F_UNKNOWN_ERROR", "unknown PC/SC error"},
	ErrInvalidAtr:           {"SCARD_E_INVALID_ATR", "the card's ATR is invalid"},
	ErrNotTransacted:        {"SCARD_E_NOT_TRANSACTED", "the exchange with the card failed (card removed or out of the reader's field?)"},
	ErrReaderUnavailable:    {"SCARD_E_READER_UNAVAILABLE", "the reader is not available"},
	ErrNoService:            {"SCARD_E_NO_SERVICE", "the PC/SC service (pcscd) is not running"},
	ErrServiceStopped:       {"SCARD_E_SERVICE_STOPPED", "the PC/SC service stopped"},
	ErrNoReadersAvailable:   {"SCARD_E_NO_READERS_AVAILABLE", "no reader available"},
	ErrCommDataLost:         {"SCARD_E_COMM_DATA_LOST", "data lost in communication with the card"},
	ErrUnsupportedCard:      {"SCARD_W_UNSUPPORTED_CARD", "the reader cannot talk to this card"},
	ErrUnresponsiveCard:     {"SCARD_W_UNRESPONSIVE_CARD", "the card does not answer"},
	ErrUnpoweredCard:        {"SCARD_W_UNPOWERED_CARD", "the card is not powered"},
	ErrResetCard:            {"SCARD_W_RESET_CARD", "the card was reset"},
	ErrRemovedCard:          {"SCARD_W_REMOVED_CARD", "the card was removed"},
	ErrSecurityViolation:    {"SCARD_W_SECURITY_VIOLATION", "access denied"},
	ErrUnsupportedFeature:   {"SCARD_E_UNSUPPORTED_FEATURE", "the reader does not support this"},
	ErrServerTooBusy:        {"SCARD_E_SERVER_TOO_BUSY", "the PC/SC service is too busy"},
	ErrCardUnsupported:      {"SCARD_E_CARD_UNSUPPORTED", "the card is not supported"},
	ErrReaderUnsupported:    {"SCARD_E_READER_UNSUPPORTED", "the reader driver is not supported"},
	ErrNoAccess:             {"SCARD_E_NO_ACCESS", "access denied"},
	ErrCancelledByUser:      {"SCARD_W_CANCELLED_BY_USER", "cancelled by the user"},
	ErrCardNotAuthenticated: {"SCARD_W_CARD_NOT_AUTHENTICATED", "the card is not authenticated"},
}

// Error is a PC/SC failure on one reader.
type Error struct {
	Reader string // reader name; empty for context-wide operations
	Op     string // what was being done: "connect", "transmit", ...
	Code   Code   // the PC/SC return code
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.Reader != "" {
		fmt.Fprintf(&b, "reader %q: ", e.Reader)
	}
	if e.Op != "" {
		b.WriteString(e.Op + ": ")
	}
	b.WriteString(Describe(e.Code))
	return b.String()
}

// Unwrap gives the Code, so errors.Is(err, nfc.ErrRemovedCard) works (and,
// in builds with PC/SC, errors.Is(err, ErrRemovedCard) too).
func (e *Error) Unwrap() error { return e.Code }

// DeviceError says that a PC/SC failure is a device or transport error,
// for callers that classify errors by kind (tokenctl exits 3).
func (e *Error) DeviceError() bool { return true }

// Removed reports whether err means the card is not (or no longer) in the
// reader, or stopped answering: the cases where an operator should present
// the token again.
func Removed(err error) bool {
	var e *Error
	if !errors.As(err, &e) {
		return false
	}
	switch e.Code {
	case ErrRemovedCard, ErrNoSmartcard, ErrResetCard,
		ErrUnpoweredCard, ErrUnresponsiveCard, ErrCommError,
		ErrNotTransacted, ErrReaderUnavailable, ErrUnknownReader:
		return true
	}
	return false
}

// CardProblem reports whether err concerns the card presented rather than
// the reader or pcscd: it was taken away or stopped answering (Removed), or
// the reader cannot talk to it (no protocol in common, not supported).
// Another card may well work.
func CardProblem(err error) bool {
	if Removed(err) {
		return true
	}
	var e *Error
	if !errors.As(err, &e) {
		return false
	}
	switch e.Code {
	case ErrProtoMismatch, ErrUnsupportedCard, ErrCardUnsupported:
		return true
	}
	return false
}
