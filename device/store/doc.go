// Package store is the device agent's local SQLite database (pure-Go
// modernc.org/sqlite, WAL journal, synchronous=FULL so every commit is on
// disk before it returns). It keeps what must survive a power cut:
//
//   - the presence session counter, incremented and committed before every
//     MQTT connect, so a session number is never used twice;
//   - the event outbox: each event takes its sequence number from a
//     persisted counter in the same transaction that stores its encoded
//     bytes, and leaves only when the fleet's ack covers it;
//   - command IDs already seen, with their results, so a command runs at
//     most once and a repeat gets the stored answer;
//   - small values: the applied desired version, the manifest serial high
//     water mark, the last desired payload (for resync).
//
// Names read with the package: store.Open, store.Store, store.Command.
package store
