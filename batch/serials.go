package batch

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"strings"
)

// Serials gives the serials of devices that cannot report theirs (Token2
// FIDO2 keys), one per device presented.
type Serials func(context.Context) (string, error)

// SerialsFromFile gives the non-blank lines of path, in order; asking for
// one more than it holds is an error.
func SerialsFromFile(path string) (Serials, error) {
	list, err := readLines(path)
	if err != nil {
		return nil, err
	}
	i := 0
	return func(context.Context) (string, error) {
		if i >= len(list) {
			return "", fmt.Errorf("%s: all %d serials used", path, len(list))
		}
		i++
		return list[i-1], nil
	}, nil
}

// AskSerials asks the operator for each serial (typed or scanned).
func AskSerials(p Prompter) Serials {
	return func(ctx context.Context) (string, error) {
		s, err := p.Ask(ctx, "serial printed on this key: ")
		return strings.TrimSpace(s), err
	}
}

// ReadTitles reads Molto2 profile titles, one a line (blank lines kept:
// a profile without title).
func ReadTitles(path string) ([]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return strings.Split(strings.TrimRight(string(b), "\n"), "\n"), nil
}

// readLines is path's lines, trimmed, blank ones dropped.
func readLines(path string) ([]string, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	var list []string
	sc := bufio.NewScanner(fh)
	for sc.Scan() {
		if s := strings.TrimSpace(sc.Text()); s != "" {
			list = append(list, s)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return list, nil
}
