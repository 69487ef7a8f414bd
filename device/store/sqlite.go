package store

import (
	"database/sql"
	"net/url"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// OpenSQLite opens the SQLite file at path as every database on a device
// is opened (this store, the kiosk's queue and its app store): WAL journal,
// synchronous=FULL so a commit is on disk before it returns, a 10 s busy
// timeout, transactions that take the write lock at BEGIN, and one
// connection, so a single writer never meets SQLITE_BUSY from itself.
// extra adds pragmas, e.g. "foreign_keys(ON)". The folder must exist; the
// file is created on first use.
func OpenSQLite(path string, extra ...string) (*sql.DB, error) {
	q := url.Values{}
	for _, p := range append([]string{"journal_mode(WAL)", "synchronous(FULL)", "busy_timeout(10000)"}, extra...) {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	return db, nil
}
