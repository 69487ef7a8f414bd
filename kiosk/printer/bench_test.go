package printer

import (
	"context"
	"testing"
)

// BenchmarkPrintTicket: one ticket receipt printed with its status checks
// (DLE EOT 1 and 4 before and after), to the virtual printer.
func BenchmarkPrintTicket(b *testing.B) {
	receipt := ticket(b)
	for _, link := range []string{"tcp", "virtual"} {
		b.Run(link, func(b *testing.B) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			v := NewVirtual()
			p := v.Printer()
			if link == "tcp" {
				addr, err := v.ListenTCP(ctx, "127.0.0.1:0")
				if err != nil {
					b.Fatal(err)
				}
				if p, err = Open("tcp://" + addr); err != nil {
					b.Fatal(err)
				}
			}
			defer p.Close()
			b.SetBytes(int64(len(receipt)))
			b.ReportAllocs()
			for b.Loop() {
				if err := p.Print(ctx, receipt); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
