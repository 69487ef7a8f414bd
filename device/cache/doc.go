// Package cache keeps a device's content on disk: the items of the signed
// manifest in use, and the downloads towards the next one.
//
// Layout under the cache folder:
//
//	current            the signed manifest in use, exactly as the fleet sent it
//	items/{sha256}     complete, verified item bytes, named by their SHA-256
//	partial/{sha256}.part  downloads in progress, resumed with HTTP Range
//
// Items are immutable and content-addressed, so the next set is downloaded
// beside the one in use without touching it. Cache.Apply first fetches every
// missing item (each one checked against its SHA-256 and size, then renamed
// into items/ and the folder flushed), and only then replaces current with
// write-temporary, fsync, rename, fsync-folder. A process killed at any
// instant therefore restarts with current naming either the old or the new
// manifest, and every item it names is present. Items no longer named by
// current are removed after the switch (Cache.GC). A partial download
// survives a restart and resumes where it stopped.
//
// The signature is checked on every load of current with the county key
// (content.Verify), so a file altered on disk is refused too.
package cache
