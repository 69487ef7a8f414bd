// Package hw is where hardware enters lawpoint: on a Raspberry Pi it
// initialises periph (host.Init) and hands out GPIO pins by role — the
// RS-485 driver-enable line of the LED link and the relay that switches the
// board's power — as periph gpio.PinIO values, so the packages that drive
// them take the interface and are tested with periph's gpiotest fakes. On
// any other machine it starts without hardware, says so once in the log,
// and hands out virtual pins that only remember their level.
package hw
