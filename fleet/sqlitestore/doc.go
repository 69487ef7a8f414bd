// Package sqlitestore implements fleet.Store on SQLite through the pure-Go
// modernc.org/sqlite driver, so lawpoint-fleet builds with CGO_ENABLED=0.
//
// The database runs in WAL mode with synchronous=FULL, foreign keys on and a
// busy timeout. Writes go through one connection and take the write lock at
// BEGIN (BEGIN IMMEDIATE), so transactions never fail half-way on a lock
// upgrade; reads use a separate read-only pool and never wait for writers.
// The schema is versioned: each migration runs in its own transaction together
// with the row that records it, so a crash leaves either the old or the new
// schema. docs/FLEET.md explains the choices.
package sqlitestore
