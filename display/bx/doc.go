// Package bx speaks the serial protocols of Onbon (仰邦) BX LED controllers:
// it encodes the frames a host sends and decodes them again, byte for byte.
//
// Two families share one framing (eight 0xA5 bytes, an escaped packet of
// header, data and CRC-16/ARC, then 0x5A) but differ above it:
//
//   - Font-card controllers (BX-5K/6K, protocol version 0x02, 14-byte header)
//     hold GB2312 fonts; the host sends text for dynamic areas (command A3 06)
//     with colour escapes, plus ping, clear, time sync, screen on/off and
//     brightness.
//   - Picture controllers (BX-5E/6E, protocol version 0xF0, 16-byte header)
//     show pages of dots the host has rendered itself (command A7 00), packed
//     as bit planes the way each generation expects.
//
// Encoder builds frames for one board (model, size, colours, address).
// Unframe and Reader find frames in a byte stream, undo the escaping and
// check CRC and lengths; DecodeCommand turns a packet back into the typed
// command that produced it. Replies (ACK/NACK with the controller's error
// code) are encoded with EncodeReply and parsed with ParseReply, so the same
// package serves the driver and the virtual board that stands in for a real
// controller. Facts taken from the vendor's manuals and SDK sources are listed
// in PROTOCOL_NOTES.md beside this file.
//
// The package does no I/O of its own apart from reading the io.Reader given
// to NewReader; pacing, retries and timeouts belong to the transport.
package bx
