package duo

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestKeys: a file wins over its variable; a key missing is an error
// naming the key and where it was looked for, never a value.
func TestKeys(t *testing.T) {
	t.Setenv("DUO_IKEY", "DIENVIKEY")
	t.Setenv("DUO_SKEY", "envskey")
	sk := filepath.Join(t.TempDir(), "skey")
	if err := os.WriteFile(sk, []byte("fileskey\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if i, s, err := Keys("", sk); err != nil || i != "DIENVIKEY" || s != "fileskey" {
		t.Fatalf("%q %q %v", i, s, err)
	}
	t.Setenv("DUO_SKEY", "")
	_, _, err := Keys("", "")
	if err == nil || !strings.HasPrefix(err.Error(), "secret key: ") || !strings.Contains(err.Error(), "DUO_SKEY") || strings.Contains(err.Error(), "DIENVIKEY") {
		t.Errorf("no secret key: %v", err)
	}
	if _, _, err := Keys(filepath.Join(t.TempDir(), "none"), sk); err == nil || !strings.HasPrefix(err.Error(), "integration key: ") {
		t.Errorf("no ikey file: %v", err)
	}
}
