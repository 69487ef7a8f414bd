// Command lawpointctl is the staff's command line for the fleet's HTTP API
// (fleet/client). See docs/FLEET.md.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"lawpoint/fleet/client"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := (&client.CLI{Out: os.Stdout, Err: os.Stderr, In: os.Stdin}).Run(ctx, os.Args[1:])
	stop()
	os.Exit(code)
}
