package batch

import (
	"bufio"
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/tokenctl/tokenctl/seed"
	"github.com/tokenctl/tokenctl/yubikey"
)

// Prompter asks the operator a question and returns the line typed.
type Prompter interface {
	Ask(ctx context.Context, question string) (string, error)
}

// LinePrompter reads answers line by line from In (standard input, where
// a YubiKey's keyboard output also arrives), writing questions to Out.
type LinePrompter struct {
	Out io.Writer

	once  sync.Once
	in    io.Reader
	lines chan lineOrErr
}

type lineOrErr struct {
	s   string
	err error
}

// NewLinePrompter reads from in and asks on out.
func NewLinePrompter(in io.Reader, out io.Writer) *LinePrompter {
	return &LinePrompter{Out: out, in: in}
}

// Ask implements Prompter. Reading continues in the background, so a
// cancelled Ask leaves no half-read line behind.
func (p *LinePrompter) Ask(ctx context.Context, q string) (string, error) {
	p.once.Do(func() {
		p.lines = make(chan lineOrErr)
		go func() {
			sc := bufio.NewScanner(p.in)
			for sc.Scan() {
				p.lines <- lineOrErr{s: sc.Text()}
			}
			err := sc.Err()
			if err == nil {
				err = io.EOF
			}
			for {
				p.lines <- lineOrErr{err: err}
			}
		}()
	})
	if p.Out != nil {
		fmt.Fprint(p.Out, q)
	}
	select {
	case <-ctx.Done():
		return "", ctx.Err()
	case l := <-p.lines:
		return strings.TrimSpace(l.s), l.err
	}
}

// MaxAttempts is how many wrong codes a verification accepts before the
// token is marked failed (typos happen).
const MaxAttempts = 3

// ask repeats a check up to MaxAttempts times. An empty answer skips the
// verification; end of input too.
func ask(ctx context.Context, p Prompter, q string, check func(answer string) error) error {
	var last error
	for i := 0; i < MaxAttempts; i++ {
		a, err := p.Ask(ctx, q)
		if errors.Is(err, io.EOF) && a == "" {
			return ErrNotVerified
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return err
		}
		if a == "" {
			return ErrNotVerified
		}
		if last = check(a); last == nil {
			return nil
		}
		q = fmt.Sprintf("%v; try again (empty line to skip): ", last)
	}
	return last
}

// CodeVerifier has the operator type the code an OATH token shows
// (Token2: its display) and checks it: TOTP at the current time step or
// one either side (display and typing take time), HOTP at the token's
// counter or the next Window ones.
type CodeVerifier struct {
	Prompt Prompter
	Now    func() time.Time
	Window int // HOTP look-ahead; default 3
}

// ErrCodeMismatch is a typed code that the token's secret does not give.
var ErrCodeMismatch = errors.New("the code does not match the secret just written")

// Verify implements Verifier.
func (v *CodeVerifier) Verify(ctx context.Context, d Device, tok *seed.Token) error {
	q := fmt.Sprintf("type the code token %s shows (empty line to skip): ", tok.Serial)
	if tok.Kind == seed.HOTP {
		q = fmt.Sprintf("press the button of token %s and type its code (empty line to skip): ", tok.Serial)
	}
	return ask(ctx, v.Prompt, q, func(a string) error { return v.check(tok, a) })
}

func (v *CodeVerifier) check(tok *seed.Token, a string) error {
	a = strings.ReplaceAll(a, " ", "")
	digits := tok.EffectiveDigits()
	if len(a) < digits {
		return fmt.Errorf("%q is not a %d-digit code", a, digits)
	}
	code := a[len(a)-digits:] // a YubiKey may type a token identifier first
	var cands []string
	switch tok.Kind {
	case seed.TOTP:
		now := time.Now
		if v.Now != nil {
			now = v.Now
		}
		p := time.Duration(tok.EffectivePeriod()) * time.Second
		for _, off := range []time.Duration{0, -p, p} {
			c, err := seed.TOTPCode(tok.Secret, now().Add(off), tok.Hash, digits, tok.EffectivePeriod())
			if err != nil {
				return err
			}
			cands = append(cands, c)
		}
	case seed.HOTP:
		w := v.Window
		if w <= 0 {
			w = 3
		}
		for i := 0; i < w; i++ {
			c, err := seed.HOTPCode(tok.Secret, tok.Counter+uint64(i), tok.Hash, digits)
			if err != nil {
				return err
			}
			cands = append(cands, c)
		}
	default:
		return fmt.Errorf("no code to check for a %s token", tok.Kind)
	}
	for _, c := range cands {
		if subtle.ConstantTimeCompare([]byte(c), []byte(code)) == 1 {
			return nil
		}
	}
	return ErrCodeMismatch
}

// TouchVerifier has the operator touch a YubiKey so that it types its
// output (a Yubico OTP or a HOTP code) into standard input, and checks it.
type TouchVerifier struct {
	Prompt Prompter
	Window int // HOTP look-ahead; default 3
}

// Verify implements Verifier.
func (v *TouchVerifier) Verify(ctx context.Context, d Device, tok *seed.Token) error {
	slot := tok.Label("slot")
	if slot == "" {
		slot = "1"
	}
	how := "touch"
	if slot == "2" {
		how = "touch and hold (about 3 s)"
	}
	q := fmt.Sprintf("%s YubiKey %s (slot %s) so that it types its code (empty line to skip): ", how, tok.Serial, slot)
	switch tok.Kind {
	case seed.YubicoOTP:
		return ask(ctx, v.Prompt, q, func(a string) error {
			otp, err := yubikey.DecodeOTP(a, tok.Secret, tok.PrivateID)
			if err != nil {
				return err
			}
			if subtle.ConstantTimeCompare(otp.PublicID, tok.PublicID) != 1 {
				return errors.New("the OTP's public ID is not the one written")
			}
			return nil
		})
	case seed.HOTP:
		cv := &CodeVerifier{Window: v.Window}
		return ask(ctx, v.Prompt, q, func(a string) error { return cv.check(tok, a) })
	}
	return ErrNotVerified
}
