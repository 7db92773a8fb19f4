package exitcode

import (
	"errors"
	"io"
	"testing"

	"github.com/spf13/cobra"
)

type deviceErr struct{}

func (deviceErr) Error() string     { return "reader gone" }
func (deviceErr) DeviceError() bool { return true }

// TestClassifyTree: the codes of a marked command tree, through cobra.
func TestClassifyTree(t *testing.T) {
	tree := func() *cobra.Command {
		root := &cobra.Command{Use: "tool", SilenceErrors: true, SilenceUsage: true}
		group := &cobra.Command{Use: "group"}
		group.AddCommand(
			&cobra.Command{Use: "bad", RunE: func(*cobra.Command, []string) error { return errors.New("row 3: no serial") }},
			&cobra.Command{Use: "dev", RunE: func(*cobra.Command, []string) error { return deviceErr{} }},
			&cobra.Command{Use: "ok", Args: cobra.NoArgs, RunE: func(*cobra.Command, []string) error { return nil }},
		)
		root.AddCommand(group)
		root.SetOut(io.Discard)
		root.SetErr(io.Discard)
		MarkUsage(root)
		return root
	}
	for _, c := range []struct {
		args []string
		want int
	}{
		{[]string{"group", "ok"}, OK},
		{[]string{"group"}, OK}, // a group alone prints its help
		{[]string{"group", "bad"}, Data},
		{[]string{"group", "dev"}, Device},
		{[]string{"group", "nosuch"}, Usage},
		{[]string{"group", "ok", "extra"}, Usage},
		{[]string{"group", "ok", "--nosuch"}, Usage},
		{[]string{"nosuch"}, Usage},
	} {
		root := tree()
		root.SetArgs(c.args)
		if got := Classify(root.Execute()); got != c.want {
			t.Errorf("%v: exit %d, want %d", c.args, got, c.want)
		}
	}
}
