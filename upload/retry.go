package upload

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Clock is the time an upload sees: Now for activation codes and
// Retry-After dates, Sleep for every wait. Tests inject a fake one.
type Clock interface {
	Now() time.Time
	// Sleep waits d or until ctx is done (then it returns ctx.Err()).
	Sleep(ctx context.Context, d time.Duration) error
}

// SystemClock is the real clock.
type SystemClock struct{}

func (SystemClock) Now() time.Time { return time.Now() }

func (SystemClock) Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// FakeClock is a Clock for tests: Sleep advances Now at once and records
// each wait.
type FakeClock struct {
	mu     sync.Mutex
	T      time.Time
	Sleeps []time.Duration
}

func (c *FakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.T
}

func (c *FakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.Sleeps = append(c.Sleeps, d)
	c.T = c.T.Add(d)
	return nil
}

// Waits returns a copy of the recorded sleeps.
func (c *FakeClock) Waits() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.Sleeps...)
}

// RateLimited is a request the server refused with 429 Too Many Requests.
// A 429 is an answer given before the request is carried out, so the same
// request may be sent again (signed again, with its whole body).
type RateLimited struct {
	// After is the server's Retry-After (0: it gave none).
	After time.Duration
}

func (e *RateLimited) Error() string {
	if e.After > 0 {
		return fmt.Sprintf("rate limited (429), retry after %s", e.After)
	}
	return "rate limited (429)"
}

// ParseRetryAfter reads a Retry-After header: delay-seconds or an HTTP
// date (RFC 9110 10.2.3). ok is false when h is empty or unreadable.
func ParseRetryAfter(h string, now time.Time) (d time.Duration, ok bool) {
	h = strings.TrimSpace(h)
	if h == "" {
		return 0, false
	}
	if n, err := strconv.ParseInt(h, 10, 64); err == nil {
		if n < 0 {
			return 0, false
		}
		if n > int64(24*time.Hour/time.Second) {
			n = int64(24 * time.Hour / time.Second)
		}
		return time.Duration(n) * time.Second, true
	}
	t, err := http.ParseTime(h)
	if err != nil {
		return 0, false
	}
	if d := t.Sub(now); d > 0 {
		return d, true
	}
	return 0, true
}

// RateLimitedFrom returns a *RateLimited for a 429 response, nil for any
// other.
func RateLimitedFrom(resp *http.Response, now time.Time) *RateLimited {
	if resp == nil || resp.StatusCode != http.StatusTooManyRequests {
		return nil
	}
	d, _ := ParseRetryAfter(resp.Header.Get("Retry-After"), now)
	return &RateLimited{After: d}
}

// Retry re-sends rate-limited requests. Only a *RateLimited error is
// retried: a refused credential, a missing permission or a server error
// after which the request may have been carried out are not.
type Retry struct {
	// Attempts bounds the tries of one request (default 8).
	Attempts int
	// Budget bounds the total time one run may spend waiting (default 5
	// minutes); a wait that would exceed it fails the request instead.
	Budget time.Duration
	// Base and Max shape the exponential backoff used when the server
	// gives no Retry-After (defaults 1 s and 32 s); a Retry-After longer
	// than Max is honoured as given (within Budget).
	Base, Max time.Duration
	Clock     Clock

	mu     sync.Mutex
	waited time.Duration
}

// ErrTransport is wrapped when a request got no HTTP answer (TLS refused,
// connection failed, timeout): the run stops, since every request after
// would meet the same, and a request that may have been carried out is not
// sent again (a re-run looks it up first).
var ErrTransport error = &ServerError{"no answer from the server"}

// ErrBudget is wrapped when the retry budget or the attempts are spent.
var ErrBudget error = &ServerError{"rate limit: retry budget spent"}

// ServerError is a failure of the server or of the way to it (refused
// credentials, no answer, rate limit spent): tokenctl exits 3, as for a
// device.
type ServerError struct{ Msg string }

func (e *ServerError) Error() string { return e.Msg }

// DeviceError: the remote end failed, not the data (tokenctl exits 3).
func (e *ServerError) DeviceError() bool { return true }

// Waited is the total time waited so far.
func (r *Retry) Waited() time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.waited
}

func (r *Retry) clock() Clock {
	if r.Clock == nil {
		return SystemClock{}
	}
	return r.Clock
}

// Do calls op until it returns anything but a *RateLimited error, waiting
// between tries. op must build and sign its request afresh each time.
func (r *Retry) Do(ctx context.Context, op func() error) error {
	attempts, budget, base, max := r.Attempts, r.Budget, r.Base, r.Max
	if attempts <= 0 {
		attempts = 8
	}
	if budget <= 0 {
		budget = 5 * time.Minute
	}
	if base <= 0 {
		base = time.Second
	}
	if max <= 0 {
		max = 32 * time.Second
	}
	backoff := base
	for i := 1; ; i++ {
		err := op()
		var rl *RateLimited
		if !errors.As(err, &rl) {
			return err
		}
		if i >= attempts {
			return fmt.Errorf("%w: still rate limited after %d tries", ErrBudget, i)
		}
		wait := rl.After
		if wait <= 0 {
			wait = backoff
			backoff *= 2
			if backoff > max {
				backoff = max
			}
		}
		r.mu.Lock()
		over := r.waited+wait > budget
		if !over {
			r.waited += wait
		}
		spent := r.waited
		r.mu.Unlock()
		if over {
			return fmt.Errorf("%w: waiting %s more would pass the %s budget (%s waited)", ErrBudget, wait, budget, spent)
		}
		if err := r.clock().Sleep(ctx, wait); err != nil {
			return err
		}
	}
}

// Window keeps an action under N per period over any sliding window of
// that length (Entra: 200 activations per 5 minutes). It is stricter than
// a token bucket of the same size, which can let 2N through in one
// period (a full bucket, then a period's refill).
type Window struct {
	N      int
	Period time.Duration
	Clock  Clock

	mu    sync.Mutex
	times []time.Time // the last N actions, oldest first
}

// Wait blocks until one more action fits, and counts it.
func (w *Window) Wait(ctx context.Context) error {
	c := w.Clock
	if c == nil {
		c = SystemClock{}
	}
	for {
		w.mu.Lock()
		now := c.Now()
		if len(w.times) < w.N {
			w.times = append(w.times, now)
			w.mu.Unlock()
			return nil
		}
		next := w.times[0].Add(w.Period)
		if !now.Before(next) {
			w.times = append(w.times[1:], now)
			w.mu.Unlock()
			return nil
		}
		w.mu.Unlock()
		if err := c.Sleep(ctx, next.Sub(now)); err != nil {
			return err
		}
	}
}
