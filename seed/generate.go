package seed

import (
	"crypto/rand"
	"fmt"
)

// MaxSecretLen bounds generated and accepted secrets (bytes).
const MaxSecretLen = 128

// Generate returns n random bytes from crypto/rand.
func Generate(n int) ([]byte, error) {
	if n < 1 || n > MaxSecretLen {
		return nil, fmt.Errorf("secret length %d out of range 1..%d", n, MaxSecretLen)
	}
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return nil, fmt.Errorf("reading random bytes: %w", err)
	}
	return b, nil
}
