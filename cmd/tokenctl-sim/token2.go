package main

import (
	"bytes"
	"context"
	"fmt"
	"github.com/tokenctl/tokenctl/internal/exitcode"
	"io"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	simt2 "github.com/tokenctl/tokenctl/sim/token2"
	"github.com/tokenctl/tokenctl/sim/vpcd"
)

func newSimToken2Cmd() *cobra.Command {
	var (
		serial      string
		drift       time.Duration
		driftRate   time.Duration
		port        int
		count       int
		failAfter   int
		loseAnswer  int
		badAuth     bool
		faultToken  int
		contact     bool
		idle        time.Duration
		noReinsert  bool
		showCodeInt time.Duration
	)
	c := &cobra.Command{
		Use:   "token2",
		Short: "Emulate Token2 programmable TOTP tokens in a vpcd virtual reader",
		Long: `Insert an emulated Token2 single-profile programmable token into vsmartcard's
virtual reader, where every PC/SC program (tokenctl token2 ...) sees it
through the real pcscd. The serial chooses the model (86596120001 is an
OTPC-P1-i, unrestricted; 86596220001 an OTPC-P2-i, restricted...). Runs until
interrupted.

Without --count, one token stays in the reader. With --count N, N tokens
are presented one after another, serials counting up, as an operator
working through a box: a token is taken out once the host has tried to
program it (it sent an authentication) and released the card, or after
--idle without a command; the next goes in shortly after. The command ends
when the last one is out.

Fault injection, on token --fault-token (1-based; 0 = every token): pull
it after it answered K APDUs (--fail-after-apdu K: 4 = right after the
configuration write), execute APDU K but lose its answer
(--lose-answer K), or give it another device key so authentication fails
(--bad-auth). A token pulled by a fault is put back (same token) unless
--no-reinsert. The emulator logs on stderr, never a seed.`,
		Example: `  tokenctl-sim token2 --serial 86596120001 --drift 90s &
  tokenctl token2 info --reader 'Virtual PCD 00 00'
  tokenctl-sim token2 --count 20 --fail-after-apdu 4 --fault-token 3`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if _, err := simt2.Serial(serial, 0); err != nil {
				return usagef("--serial: %v", err)
			}
			if count < 0 || failAfter < 0 || loseAnswer < 0 || faultToken < 0 {
				return usagef("--count, --fail-after-apdu, --lose-answer and --fault-token take positive numbers")
			}
			ctx, stop := signal.NotifyContext(c.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			faulty := func(i int) bool { return faultToken == 0 || i == faultToken-1 }
			log := &t2LineLog{w: c.ErrOrStderr()}
			s := &simt2.Stream{
				Port: port, FirstSerial: serial, Count: count, Idle: idle, NoReinsert: noReinsert,
				Options: simt2.Options{Drift: drift, DriftPerDay: driftRate, Contact: contact},
				OnInsert: func(i int, t *simt2.Token) {
					st := t.State()
					model := st.Model
					if model == "" {
						model = "unknown model"
					}
					log.printf("token %d: %s (%s) inserted in %q, clock %s", i+1, st.Serial, model, vpcd.ReaderName(port), st.Clock.UTC().Format(time.RFC3339))
				},
				OnRemove: func(i int, t *simt2.Token, faulted bool) {
					st := t.State()
					what := "taken out"
					if faulted {
						what = "PULLED by fault injection"
					}
					desc := "no seed"
					if st.Seed != nil {
						code, _ := t.DisplayCode()
						desc = fmt.Sprintf("%d-byte seed, %s/%d s, display shows %s at %s", len(st.Seed), st.Hash, st.Period, code, st.Clock.UTC().Format(time.RFC3339))
					}
					log.printf("token %d: %s %s after %d APDUs (%s)", i+1, st.Serial, what, st.APDUs, desc)
				},
			}
			if count == 0 {
				// One token that stays: nothing takes it out but Ctrl-C.
				s.Count, s.Stay = 1, true
			}
			if failAfter > 0 {
				s.PullAfter = func(i int) int {
					if faulty(i) {
						return failAfter
					}
					return 0
				}
			}
			if loseAnswer > 0 {
				s.LoseResponse = func(i int) int {
					if faulty(i) {
						return loseAnswer
					}
					return 0
				}
			}
			if badAuth {
				s.BadAuth = faulty
			}
			var release func()
			s.Host, release = simHost(port)
			defer release()
			if showCodeInt > 0 {
				go t2ShowCodes(ctx, s, showCodeInt, log)
			}
			err := s.Run(ctx)
			if err != nil {
				return exitcode.DeviceErr(err)
			}
			if count > 0 && ctx.Err() == nil {
				log.printf("all %d tokens presented", count)
			}
			return nil
		},
	}
	c.Flags().StringVar(&serial, "serial", simt2.DefaultSerial, "serial of the (first) token; its prefix chooses the model")
	c.Flags().DurationVar(&drift, "drift", 0, "device clock offset from the host clock at start, e.g. 90s or -2m")
	c.Flags().DurationVar(&driftRate, "drift-per-day", 0, "the device clock gains this much per day (negative: loses), e.g. 30s")
	c.Flags().IntVar(&port, "port", vpcd.Port0, "vpcd port of the virtual reader (35963 = \"Virtual PCD 00 00\", 35964 = \"Virtual PCD 00 01\")")
	c.Flags().IntVar(&count, "count", 0, "present this many tokens one after another, then stop (0 = one token until interrupted)")
	c.Flags().IntVar(&failAfter, "fail-after-apdu", 0, "fault: pull the token after it answered this many APDUs")
	c.Flags().IntVar(&loseAnswer, "lose-answer", 0, "fault: execute APDU number K, then leave before answering it")
	c.Flags().BoolVar(&badAuth, "bad-auth", false, "fault: the token has another device key, so every authentication fails (69 83)")
	c.Flags().IntVar(&faultToken, "fault-token", 1, "which token the faults hit (1-based; 0 = every token)")
	c.Flags().BoolVar(&noReinsert, "no-reinsert", false, "do not put a token pulled by a fault back")
	c.Flags().BoolVar(&contact, "contact", false, "behave as a T=0 contact card (answers through 61 XX / GET RESPONSE)")
	c.Flags().DurationVar(&idle, "idle", 0, "with --count: also take a token out after this long without a command (0 = never)")
	c.Flags().DurationVar(&showCodeInt, "show-code", 0, "print the code the current token displays at this interval (e.g. 30s)")
	return c
}

// t2ShowCodes prints what the current token's display shows, periodically.
func t2ShowCodes(ctx context.Context, s *simt2.Stream, every time.Duration, log *t2LineLog) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			toks := s.Tokens()
			if len(toks) == 0 {
				continue
			}
			tok := toks[len(toks)-1]
			if code, ok := tok.DisplayCode(); ok {
				log.printf("token %s displays %s", tok.Serial(), code)
			}
		}
	}
}

// t2LineLog serializes log lines from the emulator's goroutines.
type t2LineLog struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *t2LineLog) printf(format string, a ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s sim token2: ", time.Now().Format("15:04:05.000"))
	fmt.Fprintf(&b, format, a...)
	b.WriteByte('\n')
	l.w.Write(b.Bytes())
}
