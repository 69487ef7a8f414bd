package escpos

import "testing"

func BenchmarkTicketReceipt(b *testing.B) {
	tk := sampleTicket()
	for _, p := range []Paper{Paper58, Paper80} {
		b.Run(p.Name, func(b *testing.B) {
			var n int
			b.ReportAllocs()
			for b.Loop() {
				out, err := TicketReceipt(p, tk)
				if err != nil {
					b.Fatal(err)
				}
				n = len(out)
			}
			b.ReportMetric(float64(n), "bytes/receipt")
		})
	}
}

func BenchmarkBookingSlip(b *testing.B) {
	bk := sampleBooking()
	var n int
	b.ReportAllocs()
	for b.Loop() {
		out, err := BookingSlip(Paper58, bk)
		if err != nil {
			b.Fatal(err)
		}
		n = len(out)
	}
	b.ReportMetric(float64(n), "bytes/receipt")
}

func BenchmarkDecodeTicket(b *testing.B) {
	in, err := TicketReceipt(Paper58, sampleTicket())
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode(in); err != nil {
			b.Fatal(err)
		}
	}
}
