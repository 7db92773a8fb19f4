package batch

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"
)

// String is the result's line for an operator: serial, outcome, then the
// model, whether the secret was burned again, and the error, separated by
// tabs.
func (r Result) String() string {
	f := []string{r.Serial, r.Outcome}
	if f[0] == "" {
		f[0] = "-"
	}
	if r.Model != "" {
		f = append(f, r.Model)
	}
	if r.Resumed {
		f = append(f, "(resumed: same secret burned again)")
	}
	if r.Error != "" {
		f = append(f, r.Error)
	}
	return strings.Join(f, "\t")
}

// String is the summary's line for an operator.
func (s Summary) String() string {
	return fmt.Sprintf("batch %s: %d programmed (%d verified), %d failed, %d skipped, %d resumed, in %.0f s",
		s.Batch, s.Done, s.Verified, s.Failed, s.Skipped, s.Resumed, s.Seconds)
}

// Console shows a batch to its operator: each token's result on Out (a
// line, or a JSON object with JSON), instructions on Err, and with
// Progress a line of totals on Err after each token.
type Console struct {
	Out, Err       io.Writer
	JSON, Progress bool
}

// Attach sets c's Say, OnResult and OnProgress to show the batch on k.
func (k Console) Attach(c *Config) {
	enc := json.NewEncoder(k.Out)
	c.Say = func(msg string) { fmt.Fprintln(k.Err, msg) }
	c.OnResult = func(r Result) {
		if k.JSON {
			enc.Encode(r)
			return
		}
		fmt.Fprintln(k.Out, r)
	}
	if !k.Progress {
		return
	}
	name := c.Batch
	c.OnProgress = func(p Progress) {
		rem := "no count"
		if p.Remaining >= 0 {
			rem = fmt.Sprintf("%d remaining", p.Remaining)
		}
		fmt.Fprintf(k.Err, "[%s] %d done, %d failed, %d skipped, %s, %.1f tokens/min\n", name, p.Done, p.Failed, p.Skipped, rem, p.Rate)
	}
}

// Finish shows the summary: a JSON object {"summary": ...} on Out with
// JSON, and its line on Err.
func (k Console) Finish(s Summary) {
	if k.JSON {
		json.NewEncoder(k.Out).Encode(map[string]any{"summary": s})
	}
	fmt.Fprintln(k.Err, s)
}

// Run runs c shown on k: a first line naming the batch and where it is
// recorded (c.Batch defaults to FAMILY-YYYYMMDD-HHMMSS), each token, and
// the summary however the batch ends. where names the ledger for the
// operator (without a password).
func (k Console) Run(ctx context.Context, c Config, where string) (Summary, error) {
	if c.Batch == "" && c.Station != nil {
		c.Batch = string(c.Station.Family()) + "-" + time.Now().Format("20060102-150405")
	}
	k.Attach(&c)
	fmt.Fprintf(k.Err, "batch %s on ledger %s", c.Batch, where)
	if c.Ledger != nil && !c.Ledger.Unlocked() {
		fmt.Fprint(k.Err, " (no key given: tokens left pending by an earlier run will be skipped)")
	}
	fmt.Fprintln(k.Err)
	sum, err := Run(ctx, c)
	k.Finish(sum)
	return sum, err
}
