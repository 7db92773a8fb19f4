package pgstore

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/tokenctl/tokenctl/ledger"
)

// stationColumns are the tokens columns a station may change: the state
// of a record and the replacement bookkeeping, never what the token is
// (serial, kind, sealed secret...). Every change still needs the ledger's
// authentication key to pass Verify; the grants only narrow what a
// station's database login can do.
const stationColumns = `live, state, assigned_user, error, owner, lease_until, programmed_at, verified_at, counter, params, updated_at, replaced_by, station`

// GrantStatements returns the SQL that gives the role station what a
// provisioning station needs (read the ledger; add records and events;
// update the state columns of records) and the role operator what export,
// list and verify need (read only). An empty name is left out. Neither may
// delete anything, change the metadata or the schema: that stays with the
// database owner who ran init. The roles must exist (CREATE ROLE ... LOGIN,
// with the password or certificate your site uses).
func GrantStatements(station, operator string) []string {
	var out []string
	if station != "" {
		r := pgx.Identifier{station}.Sanitize()
		out = append(out,
			`GRANT SELECT ON schema_version, meta, tokens, events TO `+r,
			`GRANT INSERT ON tokens, events TO `+r,
			`GRANT UPDATE (`+stationColumns+`) ON tokens TO `+r,
			`GRANT USAGE ON SEQUENCE tokens_id_seq, events_id_seq TO `+r,
		)
	}
	if operator != "" {
		out = append(out, `GRANT SELECT ON schema_version, meta, tokens, events TO `+pgx.Identifier{operator}.Sanitize())
	}
	return out
}

// The store is what Ledger.Grant ('ledger init --grants') needs.
var _ ledger.Granter = (*Store)(nil)

// Grant runs GrantStatements in one transaction (as the owner of the
// ledger's tables, after Init).
func (s *Store) Grant(ctx context.Context, station, operator string) error {
	return pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{}, func(tx pgx.Tx) error {
		for _, q := range GrantStatements(station, operator) {
			if _, err := tx.Exec(ctx, q); err != nil {
				return err
			}
		}
		return nil
	})
}
