package ledger_test

import (
	"path/filepath"
	"testing"

	"github.com/tokenctl/tokenctl/ledger"
	"github.com/tokenctl/tokenctl/ledger/storetest"
)

// TestSQLiteContract: the SQLite store meets the Store contract, as any
// other backend must.
func TestSQLiteContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) func() ledger.Store {
		path := filepath.Join(t.TempDir(), "contract.ledger")
		created := false
		return func() ledger.Store {
			s, err := ledger.OpenSQLite(path, !created)
			if err != nil {
				t.Fatal(err)
			}
			created = true
			return s
		}
	})
}
