package main

import (
	"encoding/base32"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// secretSpellings is every way a message could repeat b: hex in both
// cases, base32 with and without padding in both cases, base64 (standard
// and URL, padded or not) and modhex.
func secretSpellings(b []byte) []string {
	h := hex.EncodeToString(b)
	b32 := base32.StdEncoding.EncodeToString(b)
	mod := strings.Map(func(r rune) rune { return rune("cbdefghijklnrtuv"[strings.IndexRune("0123456789abcdef", r)]) }, h)
	out := []string{h, strings.ToUpper(h), b32, strings.TrimRight(b32, "="), strings.ToLower(strings.TrimRight(b32, "=")),
		base64.StdEncoding.EncodeToString(b), base64.RawStdEncoding.EncodeToString(b), base64.RawURLEncoding.EncodeToString(b), mod}
	return out
}

// shuffles returns line's cells (split on sep) rotated by every offset and
// with every pair swapped: a file whose columns were shifted or mixed up.
func shuffles(line, sep string) []string {
	c := strings.Split(line, sep)
	var out []string
	for k := 1; k < len(c); k++ {
		out = append(out, strings.Join(append(append([]string{}, c[k:]...), c[:k]...), sep))
	}
	for i := 0; i < len(c); i++ {
		for j := i + 1; j < len(c); j++ {
			d := append([]string{}, c...)
			d[i], d[j] = d[j], d[i]
			out = append(out, strings.Join(d, sep))
		}
	}
	// Cells dropped one at a time: a column missing.
	for i := range c {
		out = append(out, strings.Join(append(append([]string{}, c[:i]...), c[i+1:]...), sep))
	}
	return out
}

// TestNoSecretInMessagesShiftedColumns feeds every input format a line
// whose columns are shifted, swapped or missing, runs validate and convert
// (plain and --json) and searches standard output and error for every
// secret the line holds, in every spelling: keys, seeds, private IDs and
// access codes never appear in a message, whatever column they land in.
func TestNoSecretInMessagesShiftedColumns(t *testing.T) {
	seedB := []byte("0123456789abcdefghij")
	privID := []byte{0xa1, 0xb2, 0xc3, 0xd4, 0xe5, 0xf6}
	aesKey := []byte{0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff}
	access := []byte{0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f}
	sh, sb := hex.EncodeToString(seedB), base32.StdEncoding.EncodeToString(seedB)
	ph, kh, ah := hex.EncodeToString(privID), hex.EncodeToString(aesKey), hex.EncodeToString(access)
	var secrets []string
	for _, b := range [][]byte{seedB, privID, aesKey, access} {
		secrets = append(secrets, secretSpellings(b)...)
	}
	formats := []struct {
		name, header, line, sep, to string
		flags                       []string
	}{
		{"entra", "upn,serial number,secret key,time interval,manufacturer,model", "alice@example.com,T2-0001," + sb + ",30,Token2,C202", ",", "duo", nil},
		{"duo-totp", "", "T2-0001," + sh + ",30", ",", "entra", nil},
		{"duo-hotp", "", "T2-0001," + sh + ",0", ",", "privacyidea", nil},
		{"duo-yubikey", "", "12345678," + ph + "," + kh, ",", "yubico", nil},
		{"hex", "", "T2-0001," + sh, ",", "duo", []string{"--kind", "totp"}},
		{"linotp", "", "T2-0001," + sh + ",totp,6,30,sha1", ",", "duo", nil},
		{"privacyidea", "", "T2-0001," + sh + ",totp,6,30", ",", "duo", nil},
		{"serial-secret", "", "T2-0001," + sb, ",", "duo", nil},
		{"token2-ps", "", "T2-0001 " + strings.ToUpper(sh), " ", "duo", nil},
		{"yubico", "", "12345678,vvccccccccbb," + ph + "," + kh + "," + ah + ",2026-01-01T00:00:00,", ",", "duo-yubikey", nil},
		{"yubico-traditional", "", "Yubico OTP,01/01/26 10:00 AM,1,vv cc cc cc cc bb," + strings.Join(pairs(ph), " ") + "," + strings.Join(pairs(kh), " ") + ",," + strings.Join(pairs(ah), " ") + ",,,,,,,,,,", ",", "duo-yubikey", nil},
	}
	dir := t.TempDir()
	runs := 0
	for _, f := range formats {
		for i, line := range append([]string{f.line}, shuffles(f.line, f.sep)...) {
			body := line + "\n"
			if f.header != "" {
				body = f.header + "\n" + body
			}
			in := filepath.Join(dir, fmt.Sprintf("%s-%d.csv", f.name, i))
			os.WriteFile(in, []byte(body), 0o600)
			for _, args := range [][]string{
				{"validate", "--from", f.name},
				{"--json", "validate", "--from", f.name},
				{"convert", "--from", f.name, "--to", f.to, "-o", in + ".out"},
				{"--json", "convert", "--from", f.name, "--to", f.to, "-o", in + ".out2"},
			} {
				args = append(append(args, f.flags...), in)
				_, stdout, stderr := runCLI(t, args...)
				runs++
				for _, s := range secrets {
					if strings.Contains(stdout, s) || strings.Contains(stderr, s) {
						t.Errorf("%s, line %q: %v repeats a secret (%s):\n%s%s", f.name, line, args[:len(args)-1], s, stdout, stderr)
						break
					}
				}
			}
		}
	}
	t.Logf("%d runs searched", runs)
}

// pairs splits hex into space-separated byte pairs (the Traditional log's
// spelling).
func pairs(h string) []string {
	var out []string
	for i := 0; i+1 < len(h); i += 2 {
		out = append(out, h[i:i+2])
	}
	return out
}

// TestSerialsFileNeverEchoesSeeds: seed generate --serials given a seed file
// by mistake refuses it (exit 1, nothing written) without repeating its
// lines, which hold seeds.
func TestSerialsFileNeverEchoesSeeds(t *testing.T) {
	seedB := []byte("0123456789abcdefghij")
	sh, sb := hex.EncodeToString(seedB), base32.StdEncoding.EncodeToString(seedB)
	dir := t.TempDir()
	for name, body := range map[string]string{
		"entra.csv": "upn,serial number,secret key,time interval,manufacturer,model\nalice@example.com,T2-0001," + sb + ",30,Token2,C202\n",
		"duo.csv":   "T2-0001," + sh + ",30\n",
		"ps.txt":    "T2-0001 " + strings.ToUpper(sh) + "\n",
		"semi.csv":  "T2-0001;" + sb + "\n",
	} {
		in := filepath.Join(dir, name)
		os.WriteFile(in, []byte(body), 0o600)
		out := filepath.Join(dir, name+".out")
		code, stdout, stderr := runCLI(t, "seed", "generate", "--serials", in, "--to", "duo", "-o", out)
		if code != 1 || !strings.Contains(stderr, "is this a seed file?") {
			t.Errorf("%s: exit %d\n%s", name, code, stderr)
		}
		for _, s := range secretSpellings(seedB) {
			if strings.Contains(stdout+stderr, s) {
				t.Errorf("%s: the message repeats the seed:\n%s", name, stderr)
			}
		}
		if _, err := os.Stat(out); err == nil {
			t.Errorf("%s: output written", name)
		}
	}
}
