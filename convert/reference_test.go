package convert

// Reference readers: how each server's importer reads a file, re-written
// in Go from its public code or documentation (not copied), so that every
// writer's output can be judged by the server's own logic:
//
//   - privacyIDEA: privacyidea/lib/importotp.py parseOATHcsv (lines split
//     on '\n', "# version: N" on the first line only, lines starting with
//     '#' skipped, cells split on ',' and stripped, version 2 pops user,
//     resolver, realm), privacyidea/lib/tokenclass.py
//     TokenClass.get_import_csv (hash from the hex seed length, otplen),
//     hotptoken.py / totptoken.py get_import_csv (counter; timeStep, 30 by
//     default), privacyidea/api/token.py loadtokens_api (bytes decoded as
//     UTF-8).
//   - LinOTP: linotp/lib/ImportOTP/oath.py parseOATHcsv (8 cells, serial
//     "#" skipped, no key skipped, type hotp by default, otplen, timeStep
//     or 30, hash hint or from the key length), linotp/controllers/admin.py
//     loadtokens (UTF-8).
//   - Entra: Microsoft Learn "Upload hardware OATH tokens in CSV format"
//     (header row required, base32 a-z A-Z 2-7 at most 128 characters,
//     30 or 60 s) and "Authentication methods in Microsoft Entra ID - OATH
//     tokens" (TOTP SHA-1, up to five per user); a doubled apostrophe in a
//     UPN from the project's seed-format reference.
//   - Duo: the documented paste import (serial,hex[,counter|step], the
//     type chosen in the form, SHA-1, step 30 when missing).
//   - PSKC: python-pskc itself, run as a peer.

import (
	"bytes"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/tokenctl/tokenctl/internal/testpeer"
	"github.com/tokenctl/tokenctl/seed"
	"github.com/tokenctl/tokenctl/targets"
)

// refToken is what a server holds after an import.
type refToken struct {
	Serial  string
	Kind    seed.Kind
	Hash    string // sha1, sha256, sha224...
	Digits  int
	Period  int // TOTP
	Counter uint64
	Secret  string // hex, lower case
	User    string
}

func (r refToken) String() string {
	return fmt.Sprintf("%s %s %s %d digits period %d counter %d user %q secret %d hex", r.Serial, r.Kind, r.Hash, r.Digits, r.Period, r.Counter, r.User, len(r.Secret))
}

func utf8Text(b []byte) (string, error) {
	if !utf8.Valid(b) {
		return "", errors.New("not UTF-8")
	}
	return string(b), nil
}

var refPIVersion = regexp.MustCompile(`^#\s*version:\s*(\d+)`)

func refPrivacyIDEA(b []byte) (map[string]refToken, error) {
	text, err := utf8Text(b)
	if err != nil {
		return nil, err
	}
	out := map[string]refToken{}
	lines := strings.Split(text, "\n")
	version := ""
	if m := refPIVersion.FindStringSubmatch(lines[0]); m != nil {
		version = m[1]
	}
	for _, line := range lines {
		if strings.HasPrefix(line, "#") {
			continue
		}
		v := strings.Split(line, ",")
		if len(v) <= 1 {
			continue
		}
		user := ""
		if version == "2" {
			if len(v) < 4 {
				return nil, fmt.Errorf("line %q: too few cells for version 2", line)
			}
			user = strings.TrimSpace(v[0])
			v = v[3:]
		}
		serial := strings.TrimSpace(v[0])
		if serial == "" || len(v) < 2 {
			continue
		}
		if len(v) == 2 {
			v = append(v, "hotp")
		}
		key := strings.TrimSpace(v[1])
		h := "sha1"
		switch len(key) {
		case 64:
			h = "sha256"
		case 128:
			h = "sha512"
		case 56:
			h = "sha224"
		case 96:
			h = "sha384"
		}
		t := refToken{Serial: serial, Hash: h, Digits: 6, User: user, Secret: strings.ToLower(key)}
		if len(v) >= 4 {
			if t.Digits, err = strconv.Atoi(strings.TrimSpace(v[3])); err != nil {
				return nil, err
			}
		}
		switch strings.ToLower(strings.TrimSpace(v[2])) {
		case "hotp":
			t.Kind = seed.HOTP
			if len(v) >= 5 {
				if t.Counter, err = strconv.ParseUint(strings.TrimSpace(v[4]), 10, 64); err != nil {
					return nil, err
				}
			}
		case "totp":
			t.Kind, t.Period = seed.TOTP, 30
			if len(v) >= 5 {
				if t.Period, err = strconv.Atoi(strings.TrimSpace(v[4])); err != nil {
					return nil, err
				}
			}
		default:
			return nil, fmt.Errorf("type %q", v[2])
		}
		out[serial] = t
	}
	return out, nil
}

func refLinOTP(b []byte) (map[string]refToken, error) {
	text, err := utf8Text(b)
	if err != nil {
		return nil, err
	}
	out := map[string]refToken{}
	for _, line := range strings.Split(text, "\n") {
		c := strings.Split(line, ",")
		for i := range c {
			c[i] = strings.TrimSpace(c[i])
		}
		for len(c) < 8 {
			c = append(c, "")
		}
		if c[0] == "" || c[0] == "#" || c[1] == "" {
			continue
		}
		t := refToken{Serial: c[0], Secret: strings.ToLower(c[1]), Digits: 6}
		switch strings.ToLower(c[2]) {
		case "", "hotp", "hmac":
			t.Kind = seed.HOTP
		case "totp":
			t.Kind = seed.TOTP
			if t.Period, err = strconv.Atoi(c[4]); err != nil {
				t.Period = 30
			}
		default:
			return nil, fmt.Errorf("type %q", c[2])
		}
		if c[3] != "" {
			if t.Digits, err = strconv.Atoi(c[3]); err != nil {
				return nil, err
			}
		}
		switch h := strings.ToLower(c[5]); {
		case h == "sha1" || h == "sha256" || h == "sha512":
			t.Hash = h
		case len(c[1]) == 128:
			t.Hash = "sha512"
		case len(c[1]) == 64:
			t.Hash = "sha256"
		default:
			t.Hash = "sha1"
		}
		out[t.Serial] = t
	}
	return out, nil
}

const refB32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"

func refEntra(b []byte) (map[string]refToken, error) {
	text, err := utf8Text(b)
	if err != nil {
		return nil, err
	}
	rows, err := csv.NewReader(strings.NewReader(text)).ReadAll()
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 || strings.ToLower(strings.Join(rows[0], ",")) != "upn,serial number,secret key,time interval,manufacturer,model" {
		return nil, errors.New("no header row")
	}
	out := map[string]refToken{}
	perUser := map[string]int{}
	for _, r := range rows[1:] {
		upn, serial, key, iv, man, model := strings.ReplaceAll(r[0], "''", "'"), r[1], r[2], r[3], r[4], r[5]
		if serial == "" || man == "" || model == "" {
			return nil, fmt.Errorf("%s: a required cell is empty", serial)
		}
		if _, dup := out[serial]; dup {
			return nil, fmt.Errorf("%s: serial twice", serial)
		}
		if upn != "" {
			if perUser[upn]++; perUser[upn] > targets.EntraMaxPerUser {
				return nil, fmt.Errorf("%s: more than %d tokens", upn, targets.EntraMaxPerUser)
			}
		}
		if len(key) == 0 || len(key) > 128 {
			return nil, fmt.Errorf("%s: secret of %d characters", serial, len(key))
		}
		var bits uint64
		var nb int
		var sec []byte
		for _, c := range strings.ToUpper(key) {
			v := strings.IndexRune(refB32, c)
			if v < 0 {
				return nil, fmt.Errorf("%s: %q is not base32", serial, c)
			}
			bits, nb = bits<<5|uint64(v), nb+5
			if nb >= 8 {
				nb -= 8
				sec = append(sec, byte(bits>>nb))
			}
		}
		p, err := strconv.Atoi(iv)
		if err != nil || (p != 30 && p != 60) {
			return nil, fmt.Errorf("%s: time interval %q", serial, iv)
		}
		out[serial] = refToken{Serial: serial, Kind: seed.TOTP, Hash: "sha1", Digits: 6, Period: p, Secret: hex.EncodeToString(sec), User: upn}
	}
	return out, nil
}

// refDuo reads a paste import of the type typ (hotp6, totp8...), as
// chosen in Duo's form.
func refDuo(b []byte, typ string) (map[string]refToken, error) {
	text, err := utf8Text(b)
	if err != nil {
		return nil, err
	}
	kind, digits := seed.HOTP, int(typ[4]-'0')
	if strings.HasPrefix(typ, "totp") {
		kind = seed.TOTP
	}
	out := map[string]refToken{}
	for _, line := range strings.Split(strings.TrimSpace(text), "\n") {
		c := strings.Split(strings.TrimRight(line, "\r"), ",")
		if len(c) < 2 || len(c) > 3 {
			return nil, fmt.Errorf("line %q", line)
		}
		if _, err := hex.DecodeString(c[1]); err != nil {
			return nil, fmt.Errorf("%s: not hex", c[0])
		}
		t := refToken{Serial: c[0], Kind: kind, Hash: "sha1", Digits: digits, Secret: strings.ToLower(c[1])}
		if kind == seed.TOTP {
			t.Period = 30
			if len(c) == 3 {
				if t.Period, err = strconv.Atoi(c[2]); err != nil || (t.Period != 30 && t.Period != 60) {
					return nil, fmt.Errorf("%s: step %q", c[0], c[2])
				}
			}
		} else if len(c) == 3 {
			if t.Counter, err = strconv.ParseUint(c[2], 10, 64); err != nil {
				return nil, err
			}
		}
		if _, dup := out[t.Serial]; dup {
			return nil, fmt.Errorf("%s: duplicate", t.Serial)
		}
		out[t.Serial] = t
	}
	return out, nil
}

const refPSKCScript = `
import json, sys, pskc
out = []
for k in pskc.PSKC(sys.argv[1]).keys:
    out.append(dict(serial=k.serial, algorithm=k.algorithm, secret=k.secret.hex(), counter=k.counter,
        time_interval=k.time_interval, response_length=k.response_length, suite=k.algorithm_suite,
        userid=k.key_userid or k.device_userid))
print(json.dumps(out))
`

func refPSKC(t *testing.T, path string) (map[string]refToken, error) {
	out, err := exec.Command("/usr/bin/python3", "-c", refPSKCScript, path).Output()
	if err != nil {
		return nil, fmt.Errorf("python-pskc: %v", err)
	}
	var keys []struct {
		Serial, Algorithm, Secret string
		Counter                   *uint64
		TimeInterval              *int `json:"time_interval"`
		ResponseLength            int  `json:"response_length"`
		Suite, UserID             *string
	}
	if err := json.Unmarshal(out, &keys); err != nil {
		return nil, err
	}
	m := map[string]refToken{}
	for _, k := range keys {
		r := refToken{Serial: k.Serial, Secret: k.Secret, Digits: k.ResponseLength, Hash: "sha1"}
		if k.Suite != nil && *k.Suite != "" {
			r.Hash = strings.TrimPrefix(strings.ReplaceAll(strings.ToLower(*k.Suite), "-", ""), "hmac")
		}
		if k.UserID != nil {
			r.User = *k.UserID
		}
		switch a := strings.ToLower(k.Algorithm); {
		case strings.HasSuffix(a, "hotp"):
			r.Kind = seed.HOTP
			if k.Counter != nil {
				r.Counter = *k.Counter
			}
		case strings.HasSuffix(a, "totp"):
			r.Kind, r.Period = seed.TOTP, 30
			if k.TimeInterval != nil {
				r.Period = *k.TimeInterval
			}
		default:
			return nil, fmt.Errorf("algorithm %s", k.Algorithm)
		}
		m[r.Serial] = r
	}
	return m, nil
}

// refRead reads the outputs of a conversion to format to with that
// target's reference reader.
func refRead(t *testing.T, to string, outputs []string) map[string]refToken {
	t.Helper()
	all := map[string]refToken{}
	for _, path := range outputs {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]refToken
		switch to {
		case "privacyidea":
			m, err = refPrivacyIDEA(b)
		case "linotp":
			m, err = refLinOTP(b)
		case "entra":
			m, err = refEntra(b)
		case "duo":
			base := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
			m, err = refDuo(b, base[strings.LastIndexByte(base, '-')+1:])
		case "pskc":
			m, err = refPSKC(t, path)
		default:
			t.Fatalf("no reference reader for %s", to)
		}
		if err != nil {
			t.Fatalf("%s: the %s reference reader refuses the file: %v\n%s", path, to, err, b)
		}
		for k, v := range m {
			if _, dup := all[k]; dup {
				t.Fatalf("%s: serial %s twice", path, k)
			}
			all[k] = v
		}
	}
	return all
}

// intended is what the user means the server to hold for token g, in the
// terms of target to (which carries a user or not).
func intended(g *seed.Token, to string) refToken {
	r := refToken{Serial: g.Serial, Kind: g.Kind, Hash: g.Hash.String(), Digits: g.EffectiveDigits(), Secret: hex.EncodeToString(g.Secret)}
	if g.Kind == seed.TOTP {
		r.Period = g.EffectivePeriod()
	} else {
		r.Counter = g.Counter
	}
	if im := targets.Lookup(to); im != nil && im.Carry(targets.User) {
		r.User = g.User
	}
	return r
}

// generated: every hash, 6 and 8 digits, TOTP at 30 and 60 s, HOTP at
// counters 0, 1 and past 2^32, keys of 10 to 64 bytes (the sizes at which
// importers infer a hash among them).
func generated() []*seed.Token {
	var out []*seed.Token
	n := 0
	for _, h := range []seed.Hash{seed.SHA1, seed.SHA256, seed.SHA512} {
		for _, k := range []seed.Kind{seed.TOTP, seed.HOTP} {
			for _, d := range []int{6, 8} {
				for _, v := range []uint64{0, 1, 1<<32 + 5} {
					if k == seed.TOTP && v == 1<<32+5 {
						continue
					}
					for _, l := range []int{10, 16, 20, 28, 32, 48, 64} {
						n++
						sec := make([]byte, l)
						for i := range sec {
							sec[i] = byte(n*31 + i*7)
						}
						tok := &seed.Token{Serial: fmt.Sprintf("G%04d", n), Kind: k, Hash: h, Digits: d, Secret: sec,
							Manufacturer: "Acme", Model: "M1", User: fmt.Sprintf("u%d@example.com", n%40)}
						if k == seed.TOTP {
							tok.Period = 30 + 30*int(v)
						} else {
							tok.Counter = v
						}
						out = append(out, tok)
					}
				}
			}
		}
	}
	// A serial that starts with '#': comment syntax for privacyIDEA's
	// lines (written only where a user column comes first), "#" alone
	// for LinOTP.
	out = append(out, &seed.Token{Serial: "#H1", Kind: seed.TOTP, Secret: []byte("12345678901234567890"), Manufacturer: "Acme", Model: "M1", User: "h@example.com"})
	return out
}

// withoutUsers is ts with no users (privacyIDEA's version 1 lines).
func withoutUsers(ts []*seed.Token) []*seed.Token {
	out := clone(ts)
	for _, t := range out {
		t.User = ""
	}
	return out
}

func clone(ts []*seed.Token) []*seed.Token {
	out := make([]*seed.Token, len(ts))
	for i, t := range ts {
		c := *t
		c.Secret = bytes.Clone(t.Secret)
		out[i] = &c
	}
	return out
}

// accepted splits ts into the tokens format takes and the others.
func accepted(t *testing.T, format string, ts []*seed.Token) (ok, refused []*seed.Token) {
	for _, tok := range ts {
		probs, err := Check(format, tok)
		if err != nil {
			t.Fatal(err)
		}
		if hasError(probs) {
			refused = append(refused, tok)
		} else {
			ok = append(ok, tok)
		}
	}
	return ok, refused
}

var refTargets = []string{"entra", "duo", "privacyidea", "linotp", "pskc"}

func needPythonPSKC(t *testing.T) {
	if _, err := os.Stat("/usr/bin/python3"); err != nil {
		testpeer.Missing(t, "/usr/bin/python3: "+err.Error())
	}
	testpeer.Check(t, "python3-pskc", "/usr/bin/python3", "-c", "import pskc")
}

// Every writer's output for the generated tokens, read by its target's
// reference reader, gives exactly the tokens meant; what a target cannot
// hold is refused, never written differently.
func TestGeneratedTokensReadByServers(t *testing.T) {
	needPythonPSKC(t)
	for _, users := range []bool{true, false} {
		gen := generated()
		if !users {
			gen = withoutUsers(gen)
		}
		for _, to := range refTargets {
			t.Run(fmt.Sprintf("%s/users=%t", to, users), func(t *testing.T) {
				generatedTo(t, to, gen)
			})
		}
	}
}

func generatedTo(t *testing.T, to string, gen []*seed.Token) {
	ok, refused := accepted(t, to, gen)
	if len(ok) == 0 {
		t.Fatal("every token refused")
	}
	out := filepath.Join(t.TempDir(), "out.csv")
	rep, err := WriteFile(out, to, clone(ok), &Options{Split: to == "duo"})
	if err != nil {
		t.Fatalf("%v %+v", err, rep.Problems)
	}
	got := refRead(t, to, rep.Outputs)
	if len(got) != len(ok) {
		t.Fatalf("%d tokens read back, %d written", len(got), len(ok))
	}
	for _, g := range ok {
		if want := intended(g, to); got[g.Serial] != want {
			t.Errorf("server holds %v\nmeant       %v", got[g.Serial], want)
		}
	}
	t.Logf("%d written, %d refused", len(ok), len(refused))
}

// The dialect × dialect matrix: the generated tokens written in each
// source format, converted to each target (invalid rows set aside), read
// by the target's reference reader: every written token is the one meant,
// and every token is written or rejected, never lost.
func TestDialectMatrixReadByServers(t *testing.T) {
	needPythonPSKC(t)
	gen := generated()
	byserial := map[string]*seed.Token{}
	for _, g := range gen {
		byserial[g.Serial] = g
	}
	for _, from := range []string{"entra", "duo", "privacyidea", "linotp", "pskc", "otpauth"} {
		dir := t.TempDir()
		src, _ := accepted(t, from, gen)
		rep, err := WriteFile(filepath.Join(dir, "src.txt"), from, clone(src), &Options{Split: from == "duo"})
		if err != nil {
			t.Fatalf("%s: %v", from, err)
		}
		for _, to := range refTargets {
			t.Run(from+"→"+to, func(t *testing.T) {
				written, rejected := 0, 0
				got := map[string]refToken{}
				for _, in := range rep.Outputs {
					o := &Options{Split: to == "duo", SkipInvalid: true}
					rfrom := from
					if from == "duo" {
						// A Duo file does not say its type: the file name does.
						base := strings.TrimSuffix(filepath.Base(in), ".txt")
						typ := base[strings.LastIndexByte(base, '-')+1:]
						rfrom = "duo-" + typ[:4]
						o.Digits = int(typ[4] - '0')
					}
					out := filepath.Join(t.TempDir(), "out.csv")
					r, err := Run([]string{in}, rfrom, to, out, o)
					if err != nil {
						t.Fatalf("%s: %v", in, err)
					}
					written += r.Written
					rejected += r.Rejected
					for k, v := range refRead(t, to, r.Outputs) {
						got[k] = v
					}
				}
				if written+rejected != len(src) || len(got) != written {
					t.Fatalf("%d in, %d written, %d rejected, %d read back", len(src), written, rejected, len(got))
				}
				for serial, g := range got {
					want := intended(byserial[serial], to)
					if !targets.Lookup(from).Carry(targets.User) {
						want.User = "" // the source had none to give
					}
					if g != want {
						t.Errorf("server holds %v\nmeant       %v", g, want)
					}
				}
			})
		}
	}
}
