package convert

import (
	"errors"
	"io"
	"os"
)

// DetectHead is how much of a file DetectFile reads: the formats' Sniff
// functions look at the first lines only.
const DetectHead = 4096

// DetectFile names the format of the seed file at path from its first
// DetectHead bytes (Detect), for a command given a file without its format.
// A file that cannot be opened is the *os.PathError; one no format claims
// wraps ErrUnknownFormat (invalid data); one several formats claim is a
// *UsageError naming them (only the user can say which).
func DetectFile(path string) (*Format, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	head := make([]byte, DetectHead)
	n, err := io.ReadFull(f, head)
	if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
		return nil, err
	}
	ff, err := Detect(head[:n])
	if err != nil && !errors.Is(err, ErrUnknownFormat) {
		return nil, &UsageError{err}
	}
	return ff, err
}
