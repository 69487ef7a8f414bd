// Package content is lawpoint's shared vocabulary for what plays where and
// when: items (LED text messages, images, kiosk articles), programmes (ordered
// items with durations), schedules (date ranges, weekdays, daily windows in a
// time zone, a priority and a target over the region tree), emergency notices
// and per-kind fallbacks, gathered in a Set. Compile turns a validated Set
// into an index that answers, for one device at one instant, what plays now
// and the exact instant that answer next changes (Compiled.Resolve); Plan
// strings those answers into the 14 days a village board needs to keep
// playing without a network, and Manifest carries a plan to the device signed
// with the county's Ed25519 key (Sign, Verify). Check reports authoring
// mistakes as FieldError values with an English problem and fix for logs and
// a Simplified Chinese message for the staff console. docs/CONTENT.md states
// the conventions: windows across midnight, how targets combine, what plays
// on an untrusted clock, and the canonical manifest encoding.
package content
