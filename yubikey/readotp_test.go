package yubikey

import (
	"errors"
	"strings"
	"testing"
	"testing/iotest"
)

// TestReadOTP: the first line a key typed, trimmed; no more than 4096
// bytes are read; a read error is returned.
func TestReadOTP(t *testing.T) {
	for in, want := range map[string]string{
		"  vvccccccccccdefghijklnrtuvcbdefghijkln\r\nnext\n": "vvccccccccccdefghijklnrtuvcbdefghijkln",
		"no newline":                     "no newline",
		"":                               "",
		strings.Repeat("c", 5000) + "\n": strings.Repeat("c", 4096),
	} {
		if got, err := ReadOTP(strings.NewReader(in)); err != nil || got != want {
			t.Errorf("%.20q: %.20q %v, want %.20q", in, got, err, want)
		}
	}
	broken := errors.New("broken pipe")
	if _, err := ReadOTP(iotest.ErrReader(broken)); !errors.Is(err, broken) {
		t.Fatalf("read error: %v", err)
	}
}
