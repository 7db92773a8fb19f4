package convert

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tokenctl/tokenctl/seed"
)

func outTok(serial string, b byte) *seed.Token {
	return &seed.Token{Serial: serial, Kind: seed.TOTP, Hash: seed.SHA1, Digits: 6, Period: 30, Manufacturer: "Token2", Model: "C202",
		Secret: []byte(strings.Repeat(string(rune('a'+b)), 20))}
}

// recordOut runs one token through an Output the way a programming command
// does: preflight, prepare, (the device), commit.
func recordOut(t *testing.T, o *Output, tok *seed.Token, first bool) error {
	t.Helper()
	if first {
		if err := o.Preflight(tok); err != nil {
			return err
		}
	}
	if err := o.Prepare(tok); err != nil {
		return err
	}
	return o.Commit()
}

// TestOutputSeveralTokens: tokens recorded one after another into one
// output all stay in it, in appended formats and in formats written whole
// (PSKC), and a serial already recorded is refused before its device
// would be written.
func TestOutputSeveralTokens(t *testing.T) {
	for _, format := range []string{"entra", "pskc", "privacyidea"} {
		t.Run(format, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "out")
			o, err := OpenOutput(path, format, &Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer o.Close()
			for i, s := range []string{"S1", "S2", "S3"} {
				if err := recordOut(t, o, outTok(s, byte(i)), i == 0); err != nil {
					t.Fatalf("%s: %v", s, err)
				}
			}
			if err := o.Prepare(outTok("S2", 9)); !errors.Is(err, ErrInvalid) {
				t.Fatalf("S2 again: %v", err)
			}
			got, err := ReadAll(path, format, &Options{Kind: seed.TOTP})
			if err != nil || len(got) != 3 {
				t.Fatalf("%d tokens read back (%v)", len(got), err)
			}
			for i, g := range got {
				if want := outTok(g.Serial, byte(i)); string(g.Secret) != string(want.Secret) {
					t.Errorf("%s holds another secret", g.Serial)
				}
			}
		})
	}
}

// TestOutputFileChangedMeanwhile: a serial another station appended
// between Prepare and Commit is refused at Commit, and the file keeps
// what that station wrote.
func TestOutputFileChangedMeanwhile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.csv")
	o, err := OpenOutput(path, "entra", &Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	tok := outTok("S1", 1)
	if err := o.Preflight(tok); err != nil {
		t.Fatal(err)
	}
	if err := o.Prepare(tok); err != nil {
		t.Fatal(err)
	}
	if err := AppendFile(path, "entra", outTok("S1", 2), nil); err != nil {
		t.Fatal(err)
	}
	if err := o.Commit(); !errors.Is(err, ErrInvalid) {
		t.Fatalf("commit after another station recorded S1: %v", err)
	}
	got, _ := ReadAll(path, "entra", nil)
	if len(got) != 1 || string(got[0].Secret) != string(outTok("S1", 2).Secret) {
		t.Fatalf("the file holds %d tokens", len(got))
	}
}

// TestOutputCloseRemovesUnusedFile: a file Preflight created for a token
// that was never committed is removed; one that holds a token stays.
func TestOutputCloseRemovesUnusedFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.csv")
	o, _ := OpenOutput(path, "entra", &Options{})
	if err := o.Preflight(outTok("S1", 1)); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("preflight made %v (%v)", st, err)
	}
	o.Close()
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("an empty output was left behind")
	}
	o, _ = OpenOutput(path, "entra", &Options{})
	if err := recordOut(t, o, outTok("S1", 1), true); err != nil {
		t.Fatal(err)
	}
	o.Close()
	if _, err := os.Stat(path); err != nil {
		t.Fatal("a committed output was removed")
	}
}
