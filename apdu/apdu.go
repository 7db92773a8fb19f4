// Package apdu is the smallest common ground between smart-card protocols
// (Token2, YubiKey over CCID) and the transports that carry them (PC/SC in
// package nfc, the in-process emulators in package sim): a Transmitter sends
// one command APDU and returns the response with its status word.
package apdu

import (
	"errors"
	"fmt"
)

// Transmitter sends one command APDU and returns the whole response,
// data followed by the two status bytes. Transport details (T=0 GET
// RESPONSE, re-send on 6C XX) are the transmitter's business.
type Transmitter interface {
	Transmit(cmd []byte) ([]byte, error)
}

// TransmitFunc adapts a function to Transmitter.
type TransmitFunc func(cmd []byte) ([]byte, error)

// Transmit calls f.
func (f TransmitFunc) Transmit(cmd []byte) ([]byte, error) { return f(cmd) }

// StatusWord is SW1 SW2.
type StatusWord uint16

const (
	SWOK                 StatusWord = 0x9000
	SWWrongLength        StatusWord = 0x6700
	SWSecurityNotMet     StatusWord = 0x6982
	SWAuthFailed         StatusWord = 0x6983
	SWConditionsNotMet   StatusWord = 0x6985
	SWWrongData          StatusWord = 0x6A80
	SWFileNotFound       StatusWord = 0x6A82
	SWRecordNotFound     StatusWord = 0x6A83
	SWWrongP1P2          StatusWord = 0x6B00
	SWINSNotSupported    StatusWord = 0x6D00
	SWCLANotSupported    StatusWord = 0x6E00
	SWNoPreciseDiagnosis StatusWord = 0x6F00
)

func (sw StatusWord) String() string { return fmt.Sprintf("%02X %02X", byte(sw>>8), byte(sw)) }

// SW1 and SW2 are the two bytes.
func (sw StatusWord) SW1() byte { return byte(sw >> 8) }
func (sw StatusWord) SW2() byte { return byte(sw) }

// ISOMeaning is the generic ISO 7816-4 reading of a status word.
func ISOMeaning(sw StatusWord) string {
	switch sw {
	case SWOK:
		return "success"
	case SWWrongLength:
		return "wrong length"
	case SWSecurityNotMet:
		return "security status not satisfied"
	case SWAuthFailed:
		return "authentication method blocked or failed"
	case SWConditionsNotMet:
		return "conditions of use not satisfied"
	case SWWrongData:
		return "incorrect data in the command"
	case SWFileNotFound:
		return "application or file not found"
	case SWRecordNotFound:
		return "record not found"
	case SWWrongP1P2:
		return "wrong parameters P1-P2"
	case SWINSNotSupported:
		return "instruction not supported"
	case SWCLANotSupported:
		return "class not supported"
	case SWNoPreciseDiagnosis:
		return "no precise diagnosis"
	}
	switch sw.SW1() {
	case 0x61:
		return fmt.Sprintf("%d more response bytes available", sw.SW2())
	case 0x6C:
		return fmt.Sprintf("wrong Le, %d expected", sw.SW2())
	case 0x63:
		if sw.SW2()&0xF0 == 0xC0 {
			return fmt.Sprintf("verification failed, %d tries left", sw.SW2()&0x0F)
		}
	}
	return "unknown status"
}

// StatusError is a command the card answered with something other than
// 90 00. Meaning is the protocol-specific reading of the status word.
type StatusError struct {
	Command string // what was asked, e.g. "write seed"
	SW      StatusWord
	Meaning string
}

func (e *StatusError) Error() string {
	m := e.Meaning
	if m == "" {
		m = ISOMeaning(e.SW)
	}
	if e.Command == "" {
		return fmt.Sprintf("card answered %s: %s", e.SW, m)
	}
	return fmt.Sprintf("%s: card answered %s: %s", e.Command, e.SW, m)
}

// ErrShortResponse is a response without a status word.
var ErrShortResponse = errors.New("response shorter than a status word")

// DeviceError says that a status word is the device's answer, for
// callers that classify errors by kind (tokenctl exits 3).
func (e *StatusError) DeviceError() bool { return true }

// Split separates response data and status word.
func Split(resp []byte) ([]byte, StatusWord, error) {
	if len(resp) < 2 {
		return nil, 0, ErrShortResponse
	}
	n := len(resp) - 2
	return resp[:n], StatusWord(uint16(resp[n])<<8 | uint16(resp[n+1])), nil
}

// Exchange transmits cmd on t and returns the response data when the card
// answers 90 00. Other status words are a *StatusError naming what (with
// meaning's reading of the word, when meaning is not nil); transport
// failures and responses without a status word are wrapped with what.
func Exchange(t Transmitter, what string, cmd []byte, meaning func(StatusWord) string) ([]byte, error) {
	resp, err := t.Transmit(cmd)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	data, sw, err := Split(resp)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	if sw != SWOK {
		e := &StatusError{Command: what, SW: sw}
		if meaning != nil {
			e.Meaning = meaning(sw)
		}
		return nil, e
	}
	return data, nil
}
