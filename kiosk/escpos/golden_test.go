package escpos

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden receipts in testdata/")

// The golden files show each receipt as Render prints it, so a layout
// change is reviewed as text. Rewrite them with go test -update.
func TestGoldenReceipts(t *testing.T) {
	pending := sampleBooking()
	pending.Confirmed = false
	untrusted := sampleTicket()
	untrusted.ClockTrusted = false
	for _, paper := range []Paper{Paper58, Paper80} {
		for name, build := range map[string]func() ([]byte, error){
			"ticket":           func() ([]byte, error) { return TicketReceipt(paper, sampleTicket()) },
			"ticket-untrusted": func() ([]byte, error) { return TicketReceipt(paper, untrusted) },
			"booking":          func() ([]byte, error) { return BookingSlip(paper, sampleBooking()) },
			"booking-pending":  func() ([]byte, error) { return BookingSlip(paper, pending) },
		} {
			b, err := build()
			if err != nil {
				t.Fatal(err)
			}
			cmds, err := Decode(b)
			if err != nil {
				t.Fatal(err)
			}
			got := strings.Join(Render(cmds, paper), "\n") + "\n"
			path := filepath.Join("testdata", name+"-"+paper.Name+".txt")
			if *update {
				os.MkdirAll("testdata", 0o755)
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				continue
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update to write it)", err)
			}
			if got != string(want) {
				t.Errorf("%s changed:\n%s", path, got)
			}
		}
	}
}
