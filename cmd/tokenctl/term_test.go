package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/tokenctl/tokenctl/convert"
)

// TestAnsiOK: NO_COLOR (any value) and TERM=dumb forbid escape sequences.
func TestAnsiOK(t *testing.T) {
	t.Setenv("TERM", "xterm-256color")
	t.Setenv("NO_COLOR", "")
	os.Unsetenv("NO_COLOR")
	if !ansiOK(os.Stderr) && !isWindows() {
		t.Error("escapes refused on a Unix terminal without NO_COLOR")
	}
	t.Setenv("NO_COLOR", "1")
	if ansiOK(os.Stderr) {
		t.Error("escapes allowed with NO_COLOR=1")
	}
	os.Unsetenv("NO_COLOR")
	t.Setenv("TERM", "dumb")
	if ansiOK(os.Stderr) {
		t.Error("escapes allowed with TERM=dumb")
	}
}

func isWindows() bool { return filepath.Separator == '\\' }

// TestProgressEscapes: on a terminal, convert's progress line ("N rows…")
// and the problems printed over it are cleared with the erase-line escape
// only where escapes are allowed; elsewhere (NO_COLOR, the old Windows
// console) with spaces, and no ESC byte is written.
func TestProgressEscapes(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "big.csv")
	var b strings.Builder
	for i := 0; i <= convert.ProgressEvery; i++ {
		fmt.Fprintf(&b, "T%07d,3132333435363738393031323334353637383930,30\n", i)
	}
	fmt.Fprintf(&b, "T%07d,zz,30\n", 1) // a bad row, after the progress line
	if err := os.WriteFile(in, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, ansi := range []bool{true, false} {
		envOf(t).errTTY, envOf(t).ansi = true, ansi
		code, _, errs := runCLI(t, "validate", "--from", "duo-totp", "--to", "duo", in)
		if code != 1 || !regexp.MustCompile(`\r\d{6,} rows…`).MatchString(errs) {
			t.Fatalf("ansi %v: exit %d, stderr %q", ansi, code, tail(errs))
		}
		if got := strings.Contains(errs, "\x1b"); got != ansi {
			t.Errorf("ansi %v: escape written: %v: %q", ansi, got, tail(errs))
		}
		if !strings.Contains(errs, eraseLine(ansi)+filepath.Base(in)) && !strings.Contains(errs, eraseLine(ansi)+in) {
			t.Errorf("ansi %v: the problem is not printed over the progress line: %q", ansi, tail(errs))
		}
	}
}

func tail(s string) string {
	if len(s) > 300 {
		return "…" + s[len(s)-300:]
	}
	return s
}
