// Package flow is the kiosk's screens as state machines, apart from pixels.
//
// An App is driven by events — Tap(target), Tick(now), results of service
// calls, and external updates such as a ticket being called — and answers
// View(), a plain view model that the drawing code (package kiosk) reads and
// package ui lays out. Nothing here imports ebiten, so every screen can be
// driven and checked in a plain `go test` without a GPU or display.
//
// The services the kiosk uses (the queue, the receipt printer, the booking
// service, legal-education content, the ratings outbox, the contact point's
// details and an optional voice) are small interfaces defined here; the
// command wires the real ones and tests use fakes from flowtest.
//
// Everything a villager reads is plain Simplified Chinese.
package flow
