package seed

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"math/big"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tokenctl/tokenctl/internal/testpeer"
)

// requireOathtool returns the oathtool path, skipping the test when it is
// missing, except under CI=true where that is a failure.
func requireOathtool(t *testing.T) string {
	t.Helper()
	return testpeer.Command(t, "oathtool")
}

func oathtool(t *testing.T, path string, args ...string) string {
	t.Helper()
	var out, errb bytes.Buffer
	cmd := exec.Command(path, args...)
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		// args hold a throw-away test secret: fine to show.
		t.Fatalf("oathtool %s: %v: %s", strings.Join(args, " "), err, errb.String())
	}
	return strings.TrimSpace(out.String())
}

func randInt(t *testing.T, n int64) int64 {
	v, err := rand.Int(rand.Reader, big.NewInt(n))
	if err != nil {
		t.Fatal(err)
	}
	return v.Int64()
}

// Our TOTP and HOTP codes agree with oathtool on random seeds of every
// hash, 6 and 8 digits, 30 and 60 s steps.
func TestOathtoolTOTP(t *testing.T) {
	ot := requireOathtool(t)
	n := 120
	if testing.Short() {
		n = 24
	}
	for i := 0; i < n; i++ {
		h := []Hash{SHA1, SHA256, SHA512}[i%3]
		digits := []int{6, 8}[(i/3)%2]
		period := []int{30, 60}[(i/6)%2]
		secret, err := Generate(int(10 + randInt(t, 55)))
		if err != nil {
			t.Fatal(err)
		}
		unix := randInt(t, 4_000_000_000)
		want := oathtool(t, ot, "--totp="+h.String(), "-d", strconv.Itoa(digits), "-s", fmt.Sprintf("%ds", period),
			"--now", "@"+strconv.FormatInt(unix, 10), EncodeHex(secret))
		got, err := TOTPCode(secret, time.Unix(unix, 0), h, digits, period)
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("TOTP %s/%d/%ds at %d, secret %s: got %s, oathtool %s", h, digits, period, unix, EncodeHex(secret), got, want)
		}
	}
}

func TestOathtoolHOTP(t *testing.T) {
	ot := requireOathtool(t)
	n := 60
	if testing.Short() {
		n = 12
	}
	for i := 0; i < n; i++ {
		digits := []int{6, 8}[i%2]
		secret, err := Generate(int(10 + randInt(t, 55)))
		if err != nil {
			t.Fatal(err)
		}
		counter := uint64(randInt(t, 1<<40))
		if i%5 == 0 {
			counter = uint64(randInt(t, 10))
		}
		want := oathtool(t, ot, "--hotp", "-d", strconv.Itoa(digits), "-c", strconv.FormatUint(counter, 10), EncodeHex(secret))
		got, err := HOTPCode(secret, counter, SHA1, digits)
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("HOTP %d digits at %d, secret %s: got %s, oathtool %s", digits, counter, EncodeHex(secret), got, want)
		}
	}
}

// oathtool validates a code within a window and prints the absolute step
// difference; FindTOTP must find the same step.
func TestOathtoolFindTOTP(t *testing.T) {
	ot := requireOathtool(t)
	for i := 0; i < 20; i++ {
		h := []Hash{SHA1, SHA256, SHA512}[i%3]
		secret, _ := Generate(h.DefaultSecretLen())
		now := time.Unix(1_000_000_000+randInt(t, 1_000_000_000), 0)
		off := int(randInt(t, 21)) - 10
		code, _ := TOTPCode(secret, now.Add(time.Duration(off*30)*time.Second), h, 6, 30)
		got, err := FindTOTP(secret, h, 6, 30, code, now, 10)
		if err != nil {
			t.Fatal(err)
		}
		out := oathtool(t, ot, "--totp="+h.String(), "--now", "@"+strconv.FormatInt(now.Unix(), 10), "-w", "10", EncodeHex(secret), code)
		if out != strconv.Itoa(abs(got)) {
			t.Errorf("offset %d: FindTOTP %d, oathtool %s", off, got, out)
		}
	}
}
