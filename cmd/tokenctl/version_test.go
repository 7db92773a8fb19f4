package main

import (
	"encoding/json"
	"runtime"
	"strings"
	"testing"

	"github.com/tokenctl/tokenctl/internal/buildinfo"
)

// TestVersion: --version and 'tokenctl version' print the same gh-style
// text, from the values the build stamped in, "dev" without them.
func TestVersion(t *testing.T) {
	version, commit, date := "v1.2.0-3-g0123abc", "0123abc4567def0123abc4567def0123abc4567d", "2026-12-01"
	defer buildinfo.Stamp(version, commit, date)()
	want := "tokenctl version v1.2.0-3-g0123abc (2026-12-01)\ncommit 0123abc4567def0123abc4567def0123abc4567d\n" +
		"built with " + runtime.Version() + " for " + runtime.GOOS + "/" + runtime.GOARCH + "\n"
	for _, args := range [][]string{{"--version"}, {"version"}, {"-v"}} {
		code, out, errs := runCLI(t, args...)
		if code != 0 || out != want || errs != "" {
			t.Errorf("tokenctl %v: exit %d, stdout %q, stderr %q; want %q", args, code, out, errs, want)
		}
	}
	code, out, _ := runCLI(t, "version", "--json")
	var b buildinfo.Info
	if err := json.Unmarshal([]byte(out), &b); code != 0 || err != nil {
		t.Fatalf("version --json: exit %d, %v: %q", code, err, out)
	}
	if b.Version != version || b.Commit != commit || b.Date != date || b.Go != runtime.Version() || b.OS != runtime.GOOS {
		t.Errorf("version --json = %+v", b)
	}

	buildinfo.Stamp("", "", "")
	_, out, _ = runCLI(t, "--version")
	if !strings.HasPrefix(out, "tokenctl version dev") || !strings.Contains(out, "\ncommit ") {
		t.Errorf("unstamped build: %q", out)
	}
	// A value with template syntax is printed as it is.
	buildinfo.Stamp("{{.Name}}", "", "")
	if _, out, _ = runCLI(t, "--version"); !strings.HasPrefix(out, "tokenctl version {{.Name}}") {
		t.Errorf("template in version: %q", out)
	}
}
