package main

import (
	"context"
	"flag"
	"fmt"
	"maps"
	"slices"

	"lawpoint/fleet/server"
)

// runDemo is `lawpoint-fleet demo`: the demonstration county's devices and
// content, and enrolment tokens for its devices not enrolled yet.
func runDemo(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	data := fs.String("data", "", "data folder made by init (required; run with the fleet stopped)")
	out := fs.String("out", "", "write the new enrolment tokens as JSON (device ID → token) to this file (0600)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	res, err := server.Demo(ctx, *data)
	if err != nil {
		return err
	}
	fmt.Printf("演示数据已就绪：新登记设备 %d 台，新增内容 %d 项，待注册设备 %d 台\n", len(res.DevicesCreated), res.ContentAdded, len(res.Tokens))
	if *out != "" {
		if err := server.WriteTokens(*out, res.Tokens); err != nil {
			return err
		}
		fmt.Printf("注册码已写入 %s（每个只能用一次）\n", *out)
		return nil
	}
	for _, id := range slices.Sorted(maps.Keys(res.Tokens)) {
		fmt.Printf("%s\t%s\n", id, res.Tokens[id])
	}
	return nil
}
