// Package buildinfo says which build a tokenctl binary is: the version,
// commit and date stamped in at build time, or what the Go toolchain
// recorded, for --version in the style of gh.
package buildinfo

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"
)

// Set at build time (make build, make dist) with -ldflags "-X
// github.com/tokenctl/tokenctl/internal/buildinfo.version=..." (and
// .commit, .date): version is `git describe --tags --always --dirty`,
// commit the full commit hash, date the commit's date (YYYY-MM-DD), so
// that a rebuild of the same commit gives the same binary. Left empty (go
// build, go install), version is "dev" and commit and date come from the
// Go toolchain's VCS stamp when it has one.
var version, commit, date string

// Info is what --version and 'tokenctl version' print.
type Info struct {
	Name    string `json:"-"`
	Version string `json:"version"`
	Commit  string `json:"commit"`
	Date    string `json:"date,omitempty"`
	Go      string `json:"go"`
	OS      string `json:"os"`
	Arch    string `json:"arch"`
}

// Current is this binary's build, named name ("tokenctl").
func Current(name string) Info {
	b := Info{Name: name, Version: version, Commit: commit, Date: date, Go: runtime.Version(), OS: runtime.GOOS, Arch: runtime.GOARCH}
	if b.Version == "" {
		b.Version = "dev"
	}
	if bi, ok := debug.ReadBuildInfo(); ok && b.Commit == "" {
		modified := false
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				b.Commit = s.Value
			case "vcs.time":
				if b.Date == "" && len(s.Value) >= 10 {
					b.Date = s.Value[:10]
				}
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
		if b.Commit != "" && modified {
			b.Commit += "-dirty"
		}
	}
	if b.Commit == "" {
		b.Commit = "unknown"
	}
	return b
}

// String is the text form, in the style of gh --version.
func (b Info) String() string {
	var s strings.Builder
	fmt.Fprintf(&s, "%s version %s", b.Name, b.Version)
	if b.Date != "" {
		fmt.Fprintf(&s, " (%s)", b.Date)
	}
	fmt.Fprintf(&s, "\ncommit %s\nbuilt with %s for %s/%s\n", b.Commit, b.Go, b.OS, b.Arch)
	return s.String()
}

// SetVersion makes root answer --version (and -v) with this build's text.
func SetVersion(root *cobra.Command) {
	b := Current(root.Name())
	root.Version = b.Version
	// The template is text/template: keep braces in the values literal.
	q := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(b.String())
	root.SetVersionTemplate(`{{printf "%s" "` + q + `"}}`)
}

// Stamp sets the build values, as the linker would (tests).
func Stamp(v, c, d string) (restore func()) {
	ov, oc, od := version, commit, date
	version, commit, date = v, c, d
	return func() { version, commit, date = ov, oc, od }
}
