package main

import (
	"github.com/spf13/cobra"

	"github.com/tokenctl/tokenctl/internal/buildinfo"
)

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
			b := buildinfo.Current("tokenctl")
			return f.emit(b, f.Out, "%s", b)
		},
	}
}
