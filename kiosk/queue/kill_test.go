package queue

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

const killChildEnv = "LAWPOINT_QUEUE_KILL_CHILD"

// TestKillChild is not a test: TestKill9NeverRepeatsOrLosesANumber runs the
// test binary again with this test only, as a kiosk issuing tickets (and
// now and then calling and serving) as fast as it can, printing each
// number once Issue has returned, as the kiosk would print the receipt.
func TestKillChild(t *testing.T) {
	path := os.Getenv(killChildEnv)
	if path == "" {
		t.Skip("helper process of TestKill9NeverRepeatsOrLosesANumber")
	}
	ctx := context.Background()
	clk := newClock(at("2026-05-04", "10:00"), true)
	q, err := Open(ctx, Config{Path: path, Clock: clk, Uptime: clk.Uptime, Location: cst, Log: quietLog()})
	if err != nil {
		fmt.Println("ERR", err)
		os.Exit(2)
	}
	r := rand.New(rand.NewPCG(uint64(os.Getpid()), 1))
	for {
		tk, err := q.Issue(ctx, string(rune('A'+r.IntN(3))))
		if err != nil {
			fmt.Println("ERR", err)
			os.Exit(2)
		}
		fmt.Println("T", tk.Number)
		if r.IntN(4) == 0 {
			if c, err := q.CallNext(ctx, "", 1+r.IntN(3)); err == nil && r.IntN(2) == 0 {
				q.Serve(ctx, c.ID)
			}
		}
	}
}

func TestKill9NeverRepeatsOrLosesANumber(t *testing.T) {
	kills := 30
	if testing.Short() {
		kills = 8
	}
	path := filepath.Join(t.TempDir(), "queue.db")
	r := rand.New(rand.NewPCG(42, 9))
	printed := map[string]bool{}
	for i := range kills {
		cmd := exec.Command(os.Args[0], "-test.run=^TestKillChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), killChildEnv+"="+path)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(out)
		want := 1 + r.IntN(40) // kill after this many printed tickets …
		got := 0
		for got < want && sc.Scan() {
			line := sc.Text()
			if strings.HasPrefix(line, "ERR") {
				t.Fatalf("run %d: child failed: %s", i, line)
			}
			if num, ok := strings.CutPrefix(line, "T "); ok {
				if printed[num] {
					t.Fatalf("run %d: %s printed twice", i, num)
				}
				printed[num] = true
				got++
			}
		}
		if r.IntN(2) == 0 { // … or a little later, mid-transaction
			time.Sleep(time.Duration(r.IntN(3000)) * time.Microsecond)
		}
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		// What the child printed after the last line read is lost to us,
		// as a receipt torn off mid-print: the store must still have it.
	}

	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query("SELECT prefix, num, id FROM tickets ORDER BY prefix, num")
	if err != nil {
		t.Fatal(err)
	}
	stored := map[string]bool{}
	next := map[string]int{}
	for rows.Next() {
		var p, id string
		var n int
		rows.Scan(&p, &n, &id)
		if n != next[p]+1 {
			t.Fatalf("after %d kills: %s%03d follows %s%03d: a number was skipped or repeated", kills, p, n, p, next[p])
		}
		next[p] = n
		stored[FormatNumber(p, n)] = true
		var ev int
		db.QueryRow("SELECT COUNT(*) FROM events WHERE key = ? AND kind = 'ticket.issued'", id+":issued").Scan(&ev)
		if ev != 1 {
			t.Fatalf("%s%03d has %d ticket.issued events, want 1", p, n, ev)
		}
	}
	rows.Close()
	for num := range printed {
		if !stored[num] {
			t.Fatalf("%s was printed but is not in the store", num)
		}
	}
	for p, last := range next {
		var counter int
		db.QueryRow("SELECT last FROM numbers WHERE prefix = ?", p).Scan(&counter)
		if counter != last {
			t.Fatalf("counter of %s is %d but the last ticket is %d", p, counter, last)
		}
	}
	t.Logf("%d kills: %d tickets stored, %d printed before the kill was noticed", kills, len(stored), len(printed))
	if len(stored) < kills {
		t.Fatalf("only %d tickets in %d runs: the child barely ran", len(stored), kills)
	}
}
