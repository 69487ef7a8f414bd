// Package queue is the local ticket queue of a village kiosk: service
// categories (from the fleet, with defaults), ticket issue with numbers that
// never repeat, calling by counter staff, the current call for the screen,
// the queue's events for the fleet, and the small PIN-protected counter web
// page staff use from a phone or PC on the contact point's network.
//
// A Queue keeps everything in its own SQLite database (pure-Go
// modernc.org/sqlite, WAL journal, synchronous=FULL): a ticket is committed
// to disk before Issue returns, so the caller prints only what survives a
// power cut or a kill -9. Numbers run per category (A001, A002 …) within a
// numbering run that restarts only when a trusted clock shows that the
// business day has really changed; the business day is a persisted value
// that only moves forward (docs/QUEUE.md).
//
// Every issue, call, recall, service, no-show and transfer is stored as an
// event with an idempotency key in the queue's own outbox table, in the same
// transaction as the change itself. Queue.Run hands the events, in order,
// to the device agent's outbox (the Outbox interface), which carries them to
// the fleet.
//
// Names read with the package: queue.Open, queue.Queue, queue.Ticket,
// queue.Category, queue.Call, queue.Counter.
package queue
