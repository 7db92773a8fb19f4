package pskc

// Round trips with the real peers from Debian: python-pskc (python3-pskc,
// only under /usr/bin/python3), csv2pskc (pskc-utils) and pskctool
// (OATH Toolkit's libpskc, XML Schema validation). Skipped when a peer is
// missing, except under CI=true.

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tokenctl/tokenctl/internal/testpeer"
	"github.com/tokenctl/tokenctl/seed"
)

const python = "/usr/bin/python3"

func requirePythonPSKC(t *testing.T) {
	t.Helper()
	testpeer.Check(t, "python3-pskc", python, "-c", "import pskc")
}

// pyReadScript prints what python-pskc reads from argv[1], decrypting with
// PSKC_KEY (hex) or PSKC_PASSWORD from the environment.
const pyReadScript = `
import json, os, sys, pskc
p = pskc.PSKC(sys.argv[1])
if os.environ.get('PSKC_KEY'):
    p.encryption.key = bytes.fromhex(os.environ['PSKC_KEY'])
if os.environ.get('PSKC_PASSWORD'):
    p.encryption.derive_key(os.environ['PSKC_PASSWORD'])
out = []
for k in p.keys:
    out.append(dict(id=k.id, serial=k.serial, algorithm=k.algorithm, secret=k.secret.hex(),
        counter=k.counter, time_interval=k.time_interval, time_offset=k.time_offset,
        time_drift=k.time_drift, response_length=k.response_length, suite=k.algorithm_suite,
        userid=k.key_userid, device_userid=k.device_userid, manufacturer=k.manufacturer, model=k.model,
        issuer=k.issuer, checked=k.check(), mac_algorithm=p.mac.algorithm))
print(json.dumps(out))
`

type pyKey struct {
	ID, Serial, Algorithm, Secret string
	Counter                       *int64
	TimeInterval                  *int64 `json:"time_interval"`
	TimeOffset                    *int64 `json:"time_offset"`
	TimeDrift                     *int64 `json:"time_drift"`
	ResponseLength                int    `json:"response_length"`
	Suite                         *string
	UserID                        *string `json:"userid"`
	DeviceUserID                  *string `json:"device_userid"`
	Manufacturer, Model, Issuer   *string
	Checked                       *bool
	MACAlgorithm                  *string `json:"mac_algorithm"`
}

func runPython(t *testing.T, script string, env []string, stdin []byte, args ...string) ([]byte, error) {
	t.Helper()
	cmd := exec.Command(python, append([]string{"-c", script}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdin = bytes.NewReader(stdin)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return out, fmt.Errorf("%v: %s", err, strings.TrimSpace(stderr.String()))
	}
	return out, nil
}

func pythonRead(t *testing.T, path string, env ...string) ([]pyKey, error) {
	out, err := runPython(t, pyReadScript, env, nil, path)
	if err != nil {
		return nil, err
	}
	var keys []pyKey
	if err := json.Unmarshal(out, &keys); err != nil {
		t.Fatalf("python output: %v", err)
	}
	return keys, nil
}

func deref[T any](p *T) (v T) {
	if p != nil {
		v = *p
	}
	return
}

// TestPythonPSKCReadsOurFiles: plain, pre-shared-key and password files
// tokenctl writes are read by python-pskc with the same secrets and
// parameters, and every MAC checks out.
func TestPythonPSKCReadsOurFiles(t *testing.T) {
	requirePythonPSKC(t)
	dir := t.TempDir()
	key := bytes.Repeat([]byte{0x5a}, 32)
	for _, c := range []struct {
		name string
		o    WriterOptions
		env  []string
	}{
		{"plain", WriterOptions{}, nil},
		{"key", WriterOptions{Key: key[:16]}, []string{"PSKC_KEY=" + hex.EncodeToString(key[:16])}},
		{"key256", WriterOptions{Key: key}, []string{"PSKC_KEY=" + hex.EncodeToString(key)}},
		{"password", WriterOptions{Password: []byte("s3cret pass"), Iterations: MinIterations}, []string{"PSKC_PASSWORD=s3cret pass"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			toks := sampleTokens()
			path := filepath.Join(dir, c.name+".pskcxml")
			if err := os.WriteFile(path, writeContainer(t, c.o, toks), 0o600); err != nil {
				t.Fatal(err)
			}
			got, err := pythonRead(t, path, c.env...)
			if err != nil {
				t.Fatalf("python-pskc: %v", err)
			}
			if len(got) != len(toks) {
				t.Fatalf("python-pskc read %d keys, want %d", len(got), len(toks))
			}
			for i, want := range toks {
				g := got[i]
				if g.Secret != hex.EncodeToString(want.Secret) {
					t.Errorf("%s: python-pskc secret differs", want.Serial)
				}
				if g.Checked == nil || !*g.Checked {
					t.Errorf("%s: python-pskc: MAC/decryption check failed", want.Serial)
				}
				if g.Serial != want.Serial || deref(g.Manufacturer) != want.Manufacturer || deref(g.Issuer) != want.Issuer {
					t.Errorf("%s: python-pskc read serial %q manufacturer %q issuer %q", want.Serial, g.Serial, deref(g.Manufacturer), deref(g.Issuer))
				}
				switch want.Kind {
				case seed.HOTP:
					if deref(g.Counter) != int64(want.Counter) || g.ResponseLength != want.EffectiveDigits() || deref(g.Suite) != "HMAC-SHA1" {
						t.Errorf("%s: python-pskc: counter %v length %d suite %v", want.Serial, deref(g.Counter), g.ResponseLength, deref(g.Suite))
					}
				case seed.TOTP:
					if deref(g.TimeInterval) != int64(want.EffectivePeriod()) || g.ResponseLength != want.EffectiveDigits() ||
						deref(g.Suite) != "HMAC-"+strings.ToUpper(want.Hash.String()) || deref(g.UserID) != want.User {
						t.Errorf("%s: python-pskc: interval %v length %d suite %v user %v", want.Serial, deref(g.TimeInterval), g.ResponseLength, deref(g.Suite), deref(g.UserID))
					}
					if d := want.Label(LabelTimeDrift); d != "" && fmt.Sprint(deref(g.TimeDrift)) != d {
						t.Errorf("%s: python-pskc: drift %v", want.Serial, deref(g.TimeDrift))
					}
				case seed.YubicoOTP:
					if g.ID != want.Serial+":2" || deref(g.UserID) != "CN=cbcdcecfcgch, UID=060504030201" || deref(g.DeviceUserID) != want.User {
						t.Errorf("yubico: python-pskc read id %q userid %q device userid %q", g.ID, deref(g.UserID), deref(g.DeviceUserID))
					}
				}
			}
			if c.o.Key != nil || c.o.Password != nil {
				if deref(got[0].MACAlgorithm) != AlgHMACSHA256 {
					t.Errorf("MAC algorithm %q", deref(got[0].MACAlgorithm))
				}
				// python-pskc really checks our MACs: alter one and it refuses.
				data, _ := os.ReadFile(path)
				bad := filepath.Join(dir, c.name+"-tampered.pskcxml")
				os.WriteFile(bad, tamper(t, data, `<pskc:ValueMAC>([^<]+)<`, 2, flipB64), 0o600)
				if _, err := pythonRead(t, bad, c.env...); err == nil || !strings.Contains(err.Error(), "MAC value does not match") {
					t.Errorf("python-pskc accepted a tampered MAC: %v", err)
				}
			}
		})
	}
}

// pyWriteScript writes a container from a JSON spec on stdin, encrypting
// with PSKC_KEY or PSKC_PASSWORD.
const pyWriteScript = `
import json, os, sys, pskc
spec = json.load(sys.stdin)
p = pskc.PSKC()
for k in spec['keys']:
    args = dict((n, v) for n, v in k.items() if n != 'secret')
    p.add_key(secret=bytes.fromhex(k['secret']), **args)
if spec.get('mac'):
    p.mac.setup(algorithm=spec['mac'])
kw = dict(algorithm=spec.get('alg'), fields=spec.get('fields'))
kw = dict((n, v) for n, v in kw.items() if v)
if spec['mode'] == 'key':
    p.encryption.setup_preshared_key(key=bytes.fromhex(os.environ['PSKC_KEY']), **kw)
elif spec['mode'] == 'password':
    p.encryption.setup_pbkdf2(os.environ['PSKC_PASSWORD'], iterations=spec.get('iterations'), **kw)
p.write(sys.argv[1])
`

type pySpecKey struct {
	ID             string `json:"id"`
	Serial         string `json:"serial"`
	Secret         string `json:"secret"`
	Algorithm      string `json:"algorithm"`
	Counter        *int64 `json:"counter,omitempty"`
	TimeInterval   *int64 `json:"time_interval,omitempty"`
	ResponseLength int    `json:"response_length"`
	Suite          string `json:"algorithm_suite,omitempty"`
	Manufacturer   string `json:"manufacturer"`
}

func i64(v int64) *int64 { return &v }

// TestWeReadPythonPSKCFiles: containers python-pskc writes, with each
// encryption algorithm and MAC it offers, read back identical.
func TestWeReadPythonPSKCFiles(t *testing.T) {
	requirePythonPSKC(t)
	dir := t.TempDir()
	keys := []pySpecKey{
		{ID: "1", Serial: "PY0001", Secret: "313233343536373839303132333435363738393031323334", // key wrap takes multiples of 8 bytes
			Algorithm: AlgHOTP, Counter: i64(42), ResponseLength: 8, Manufacturer: "Acme"},
		{ID: "2", Serial: "PY0002", Secret: strings.Repeat("ab", 32), Algorithm: "urn:ietf:params:xml:ns:keyprov:pskc#totp", TimeInterval: i64(60), ResponseLength: 6, Suite: "HMAC-SHA256", Manufacturer: "Acme"},
	}
	k16, k24, k32 := strings.Repeat("0f", 16), strings.Repeat("1e", 24), strings.Repeat("2d", 32)
	for _, c := range []struct {
		name, mode, alg, mac, key string
		fields                    []string
	}{
		{"plain", "none", "", "", "", nil},
		{"aes128-default", "key", "", "", k16, nil},
		{"aes256-sha512", "key", "aes256-cbc", "hmac-sha512", k32, nil},
		{"aes192-sha224-counter", "key", "aes192-cbc", "hmac-sha224", k24, []string{"secret", "counter", "time_interval"}},
		{"tripledes", "key", "tripledes-cbc", "hmac-sha384", k24, nil},
		{"kw-aes128", "key", "kw-aes128", "", k16, nil},
		{"kw-aes256", "key", "kw-aes256", "", k32, nil},
		{"kw-tripledes", "key", "kw-tripledes", "", k24, nil},
		{"pbkdf2", "password", "", "", "", []string{"secret", "counter"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			spec := map[string]any{"keys": keys, "mode": c.mode, "alg": c.alg, "mac": c.mac, "fields": c.fields, "iterations": 100000}
			in, _ := json.Marshal(spec)
			path := filepath.Join(dir, c.name+".pskcxml")
			env := []string{"PSKC_KEY=" + c.key, "PSKC_PASSWORD=pässword"}
			if _, err := runPython(t, pyWriteScript, env, in, path); err != nil {
				t.Fatalf("python-pskc write: %v", err)
			}
			o := Options{File: path}
			switch c.mode {
			case "key":
				o.Key = unhex(t, c.key)
			case "password":
				o.Password = []byte("pässword")
			}
			f, _ := os.Open(path)
			got, _, err := ReadAll(f, o)
			f.Close()
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(keys) {
				t.Fatalf("%d keys", len(got))
			}
			for i, w := range keys {
				g := got[i]
				tok, err := g.Token()
				if err != nil {
					t.Fatal(err)
				}
				if hex.EncodeToString(g.Secret) != w.Secret || tok.Serial != w.Serial || tok.EffectiveDigits() != w.ResponseLength || tok.Manufacturer != w.Manufacturer {
					t.Errorf("key %s: read %v", w.ID, tok)
				}
				if w.Counter != nil && tok.Counter != uint64(*w.Counter) {
					t.Errorf("key %s: counter %d", w.ID, tok.Counter)
				}
				if w.TimeInterval != nil && (tok.Period != int(*w.TimeInterval) || tok.Hash != seed.SHA256) {
					t.Errorf("key %s: period %d hash %v", w.ID, tok.Period, tok.Hash)
				}
			}
			if c.mode == "key" {
				wrong := unhex(t, c.key)
				wrong[0] ^= 0x80
				f, _ := os.Open(path)
				_, _, err := ReadAll(f, Options{Key: wrong})
				f.Close()
				if err == nil || !strings.Contains(err.Error(), "wrong key or password") {
					t.Errorf("wrong key: %v", err)
				}
			}
		})
	}
}

// TestWeReadCSV2PSKC: csv2pskc (pskc-utils) output, plain, with a key
// file and with a password file.
func TestWeReadCSV2PSKC(t *testing.T) {
	testpeer.Command(t, "csv2pskc")
	requirePythonPSKC(t)
	dir := t.TempDir()
	csv := "serial,secret,counter,time_interval,algorithm,response_length,manufacturer\n" +
		"100,3132333435363738393031323334353637383930,5,,urn:ietf:params:xml:ns:keyprov:pskc:hotp,8,Feitian\n" +
		"101,3132333435363738393031323334353637383930313233343536373839303132,,60,urn:ietf:params:xml:ns:keyprov:pskc:totp,6,Feitian\n" +
		"102,0102030405060708090a0b0c0d0e0f1011121314,0,,hotp,6,Feitian\n"
	in := filepath.Join(dir, "in.csv")
	os.WriteFile(in, []byte(csv), 0o600)
	keyBin := bytes.Repeat([]byte{0x42}, 16)
	os.WriteFile(filepath.Join(dir, "key.bin"), keyBin, 0o600)
	os.WriteFile(filepath.Join(dir, "pw.txt"), []byte("csv pass"), 0o600)
	for _, c := range []struct {
		name string
		args []string
		o    Options
	}{
		{"plain", nil, Options{}},
		{"key", []string{"-s", filepath.Join(dir, "key.bin")}, Options{Key: keyBin}},
		{"password", []string{"-p", filepath.Join(dir, "pw.txt")}, Options{Password: []byte("csv pass")}},
	} {
		out := filepath.Join(dir, c.name+".pskcxml")
		cmd := exec.Command("csv2pskc", append(c.args, "-o", out, in)...)
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("csv2pskc %s: %v: %s", c.name, err, b)
		}
		f, _ := os.Open(out)
		keys, _, err := ReadAll(f, c.o)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		want := []struct {
			serial, secret string
			kind           seed.Kind
			counter        uint64
			period, digits int
		}{
			{"100", "3132333435363738393031323334353637383930", seed.HOTP, 5, 0, 8},
			{"101", "3132333435363738393031323334353637383930313233343536373839303132", seed.TOTP, 0, 60, 6},
			{"102", "0102030405060708090a0b0c0d0e0f1011121314", seed.HOTP, 0, 0, 6},
		}
		if len(keys) != len(want) {
			t.Fatalf("%s: %d keys", c.name, len(keys))
		}
		for i, w := range want {
			tok, err := keys[i].Token()
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			if tok.Serial != w.serial || hex.EncodeToString(tok.Secret) != w.secret || tok.Kind != w.kind ||
				tok.Counter != w.counter || tok.Period != w.period || tok.EffectiveDigits() != w.digits || tok.Manufacturer != "Feitian" {
				t.Errorf("%s: key %d: %v counter %d period %d", c.name, i, tok, tok.Counter, tok.Period)
			}
		}
		if c.o.Key != nil || c.o.Password != nil {
			f, _ := os.Open(out)
			_, _, err := ReadAll(f, Options{})
			f.Close()
			if err == nil || !strings.Contains(err.Error(), "no ") {
				t.Errorf("%s without credential: %v", c.name, err)
			}
		}
	}
}

// TestPskctoolValidates: OATH Toolkit's pskctool checks what tokenctl
// writes against the RFC 6030 XML Schema.
func TestPskctoolValidates(t *testing.T) {
	testpeer.Command(t, "pskctool")
	dir := t.TempDir()
	validate := func(path string) (string, error) {
		out, err := exec.Command("pskctool", "--validate", path).Output()
		if err != nil {
			return "", err
		}
		if err := exec.Command("pskctool", "--validate", "--quiet", path).Run(); err != nil {
			return "quiet: " + err.Error(), nil
		}
		return strings.TrimSpace(string(out)), nil
	}
	for _, c := range []struct {
		name string
		o    WriterOptions
	}{
		{"plain", WriterOptions{ID: "batch-1"}},
		{"key", WriterOptions{Key: bytes.Repeat([]byte{1}, 16), KeyName: "Acme 2026 key"}},
		{"password", WriterOptions{Password: []byte("pw"), Iterations: MinIterations, MasterKeyName: "My Password"}},
	} {
		path := filepath.Join(dir, c.name+".pskcxml")
		data := writeContainer(t, c.o, sampleTokens())
		os.WriteFile(path, data, 0o600)
		if res, err := validate(path); err != nil || res != "OK" {
			t.Errorf("%s: pskctool --validate: %q %v", c.name, res, err)
		}
		// The check can fail: a misplaced element is caught.
		bad := filepath.Join(dir, c.name+"-bad.pskcxml")
		os.WriteFile(bad, bytes.Replace(data, []byte("<pskc:Issuer>"), []byte("<pskc:Bogus/><pskc:Issuer>"), 1), 0o600)
		if res, _ := validate(bad); res == "OK" {
			t.Errorf("%s: pskctool accepted an invalid file", c.name)
		}
	}
}
