package seed

import "fmt"

// Reader yields the tokens of one seed file, in order. Readers stream: they
// hold one record at a time, so files of any size convert in flat memory.
type Reader interface {
	// Read returns the next token and the line (or record number, for
	// formats without lines) it starts on. It returns io.EOF at the end. A
	// record that cannot be parsed gives a *FieldError; the reader can go
	// on with the next record after one.
	Read() (*Token, int, error)
}

// Writer writes tokens in one format.
type Writer interface {
	Write(t *Token) error
	// Close writes any trailer and flushes; it does not close the
	// underlying io.Writer.
	Close() error
}

// FieldError is one problem in an input file, located to file, line and
// field: "file:line: field: what is wrong". Msg never contains the secret.
type FieldError struct {
	File    string
	Line    int
	Field   string
	Msg     string
	Warning bool // reported, but does not reject the row
}

func (e *FieldError) Error() string {
	s := e.File
	if e.Line > 0 {
		s += fmt.Sprintf(":%d", e.Line)
	}
	if e.Field != "" {
		s += ": " + e.Field
	}
	s += ": " + e.Msg
	if e.Warning {
		s += " (warning)"
	}
	return s
}
