package ledger

import (
	"bytes"
	"crypto/rand"
	"io"
	"os"
)

var randReader io.Reader = rand.Reader

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }

// removeLedgerFiles deletes a SQLite ledger and its WAL companions.
func removeLedgerFiles(path string) {
	for _, p := range []string{path, path + "-wal", path + "-shm", path + "-journal"} {
		os.Remove(p)
	}
}
