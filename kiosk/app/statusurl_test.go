package app

import (
	"context"
	"slices"
	"testing"

	"lawpoint/kiosk/printer"
)

// The receipt's QR code opens the fleet's status page of that ticket,
// named so the fleet can find it from the ticket events it receives:
// {base}{deviceID}/{day}/{number}.
func TestReceiptQRCodeNamesDeviceDayAndNumber(t *testing.T) {
	for _, c := range []struct {
		name string
		cfg  Config
		base string
	}{
		{"fleet_url", Config{FleetURL: "https://fleet.example.cn/"}, "https://fleet.example.cn/t/"},
		{"ticket_url", Config{FleetURL: "https://fleet.example.cn", TicketURL: "https://chaxun.example.cn/t"}, "https://chaxun.example.cn/t/"},
	} {
		t.Run(c.name, func(t *testing.T) {
			a := openTest(t, c.cfg)
			ctx := context.Background()
			v, _ := printer.VirtualOf(a.Printer())
			svc := a.Services()
			// Before enrolment the kiosk does not know its device ID: the
			// receipt prints without a QR code.
			tk, err := svc.Queue.Issue(ctx, "A")
			if err != nil {
				t.Fatal(err)
			}
			if err := svc.Printer.PrintTicket(ctx, tk); err != nil {
				t.Fatal(err)
			}
			a.setAgent(&fakeAgent{}, nil)
			tk, err = svc.Queue.Issue(ctx, "A")
			if err != nil {
				t.Fatal(err)
			}
			if err := svc.Printer.PrintTicket(ctx, tk); err != nil {
				t.Fatal(err)
			}
			qt, err := a.Queue().Lookup(ctx, tk.ID)
			if err != nil {
				t.Fatal(err)
			}
			rs := v.Receipts()
			if len(rs) != 2 {
				t.Fatalf("%d receipts", len(rs))
			}
			if qr := rs[0].QRs(); len(qr) != 0 {
				t.Errorf("before enrolment the receipt has QR codes %q", qr)
			}
			want := c.base + "kiosk-test/" + qt.Day + "/A002"
			if qr := rs[1].QRs(); !slices.Equal(qr, []string{want}) {
				t.Errorf("receipt QR codes %q, want %q", qr, want)
			}
		})
	}
}
