package secretin

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRead(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "s")
	os.WriteFile(file, []byte("  JBSWY3DPEHPK3PXP\r\n"), 0o600)
	t.Setenv("TOKENCTL_TEST_SECRET", "\tJBSWY3DPEHPK3PXP ")
	for _, src := range []Source{{File: file}, {Env: "TOKENCTL_TEST_SECRET"}, {File: "-", In: strings.NewReader("JBSWY3DPEHPK3PXP\n")}} {
		if !src.IsSet() {
			t.Fatalf("%+v not set", src)
		}
		got, err := src.Read()
		if err != nil || got != "JBSWY3DPEHPK3PXP" {
			t.Errorf("%+v: %q, %v", src, got, err)
		}
	}
}

func TestReadRefuses(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty")
	os.WriteFile(empty, []byte(" \n"), 0o600)
	big := filepath.Join(dir, "big")
	os.WriteFile(big, []byte(strings.Repeat("SECRETSECRET", maxSecretFile/12+1)), 0o600)
	t.Setenv("TOKENCTL_TEST_EMPTY", "  ")
	os.Unsetenv("TOKENCTL_TEST_UNSET")
	for _, c := range []struct {
		src  Source
		want string
	}{
		{Source{}, "no secret source"},
		{Source{File: empty, Env: "X"}, "not both"},
		{Source{File: empty}, "is empty"},
		{Source{File: big}, "not a secret"},
		{Source{File: filepath.Join(dir, "missing")}, "no such file"},
		{Source{Env: "TOKENCTL_TEST_EMPTY"}, "is empty"},
		{Source{Env: "TOKENCTL_TEST_UNSET"}, "not set"},
	} {
		_, err := c.src.Read()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v, want %q", c.src, err, c.want)
			continue
		}
		if strings.Contains(err.Error(), "SECRETSECRET") {
			t.Errorf("%+v: error repeats the content: %v", c.src, err)
		}
	}
}
