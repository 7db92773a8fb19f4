package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"
)

// Set at build time (make build, make dist) with
// -ldflags "-X main.version=... -X main.commit=... -X main.date=...":
// version is `git describe --tags --always --dirty`, commit the full commit
// hash, date the commit's date (YYYY-MM-DD), so that a rebuild of the same
// commit gives the same binary. Left empty (go build, go install), version
// is "dev" and commit and date come from the Go toolchain's VCS stamp when
// it has one.
var version, commit, date string

// buildInfo is what --version and 'tokenctl version' print.
type buildInfo struct {
	Version string `json:"version"`
	Commit  string `json:"commit"`
	Date    string `json:"date,omitempty"`
	Go      string `json:"go"`
	OS      string `json:"os"`
	Arch    string `json:"arch"`
}

func currentBuild() buildInfo {
	b := buildInfo{Version: version, Commit: commit, Date: date, Go: runtime.Version(), OS: runtime.GOOS, Arch: runtime.GOARCH}
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
func (b buildInfo) String() string {
	var s strings.Builder
	fmt.Fprintf(&s, "tokenctl version %s", b.Version)
	if b.Date != "" {
		fmt.Fprintf(&s, " (%s)", b.Date)
	}
	fmt.Fprintf(&s, "\ncommit %s\nbuilt with %s for %s/%s\n", b.Commit, b.Go, b.OS, b.Arch)
	return s.String()
}

func newVersionCmd(f *factory) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print tokenctl's version, commit and Go version",
		Long: `Print the version of this tokenctl binary (the git tag it was built
from, or "dev"), its commit, and the Go version and platform it was built
with: the same as 'tokenctl --version'. With --json, as a JSON object.`,
		Example: "  tokenctl version\n  tokenctl --version\n  tokenctl version --json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			b := currentBuild()
			return f.emit(b, f.Out, "%s", b)
		},
	}
}

// setVersion makes root answer --version as 'tokenctl version' does.
func setVersion(root *cobra.Command) {
	b := currentBuild()
	root.Version = b.Version
	// The template is text/template: keep braces in the values literal.
	root.SetVersionTemplate(`{{printf "%s" "` + templateQuote(b.String()) + `"}}`)
}

func templateQuote(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
	return r.Replace(s)
}
