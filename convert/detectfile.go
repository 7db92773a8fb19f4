package convert

import (
	"bufio"
	"errors"
	"os"
)

// DetectFile names the format of the seed file at path from its first
// DetectHead bytes, as every reader of an input without --from does
// (InputFormat), for a command given a file without its format. A file
// that cannot be opened or read is that error; one no format claims wraps
// ErrUnknownFormat (invalid data); one several formats claim is a
// *UsageError naming them (only the user can say which).
func DetectFile(path string) (*Format, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	ff, err := sniff(bufio.NewReaderSize(f, DetectHead))
	var re *readError
	switch {
	case errors.As(err, &re):
		return nil, re.err
	case err != nil && !errors.Is(err, ErrUnknownFormat):
		return nil, &UsageError{err}
	}
	return ff, err
}
