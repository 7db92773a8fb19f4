package main

import (
	"bytes"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/tokenctl/tokenctl/device"
)

// testEnv is what a test gives the CLI instead of the real world: devices
// (emulators on USB), a terminal on stderr or not. It is keyed by the
// test, so tests that use different emulators can run in parallel.
type testEnv struct {
	usb          func() ([]device.HIDKey, error)
	errTTY, ansi bool
	stdin        string
	commitFails  error
}

var testEnvs sync.Map // *testing.T → *testEnv

func envOf(t *testing.T) *testEnv {
	e, _ := testEnvs.LoadOrStore(t, &testEnv{})
	t.Cleanup(func() { testEnvs.Delete(t) })
	return e.(*testEnv)
}

// testFactory is the factory tests run the CLI with.
func testFactory(t *testing.T, stdout, stderr *bytes.Buffer) *factory {
	f := &factory{In: os.Stdin, Out: stdout, Err: stderr}
	if v, ok := testEnvs.Load(t); ok {
		e := v.(*testEnv)
		f.Devices.USB = e.usb
		f.ErrTTY, f.ANSI = e.errTTY, e.ansi
		f.commitFails = e.commitFails
		if e.stdin != "" {
			f.In = strings.NewReader(e.stdin)
		}
	}
	if f.Devices.USB == nil {
		// No test sees the machine's own USB keys.
		f.Devices.USB = func() ([]device.HIDKey, error) { return nil, nil }
	}
	f.Devices.Prompt = f.prompt
	return f
}

// runCLI runs tokenctl in process and returns exit code, stdout and stderr.
func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := runWith(testFactory(t, &out, &errb), args)
	return code, out.String(), errb.String()
}

func TestUnknownFlagIsUsage(t *testing.T) {
	t.Parallel()
	code, _, _ := runCLI(t, "--no-such-flag")
	if code != 2 {
		t.Fatalf("exit code %d, want 2", code)
	}
}
