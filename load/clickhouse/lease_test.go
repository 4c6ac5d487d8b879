package clickhouse_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"doraflow/load/clickhouse"
	"doraflow/load/clickhouse/clickhousetest"
)

// tenure is one holding of the lease as its holder saw it: from the
// moment TryLease returned it to the start of the last Check that passed.
// Whatever a holder writes after a Check that passed lies inside it, so no
// two tenures may overlap.
type tenure struct {
	Holder    string `json:"holder"`
	From      int64  `json:"from"` // Unix nanoseconds, the wall clock all processes of this host share
	To        int64  `json:"to"`
	Abandoned bool   `json:"abandoned"` // left to expire, as by a holder that hangs or dies
}

// leaseWorkerEnv tells a copy of this test binary to work the lease as a
// process of its own: the value is "ADDR PROTOCOL DATABASE SECONDS".
const leaseWorkerEnv = "DORAFLOW_LEASE_WORKER"

// TestLeaseKeepsHoldersApart has goroutines of this process and of four
// processes more take, check (and so renew), abandon and release one
// lease for a few seconds, each recording its tenures, and asserts that
// no two tenures overlap, across goroutines and processes alike. Some
// holders abandon the lease, so it is also taken over after it expires.
func TestLeaseKeepsHoldersApart(t *testing.T) {
	t.Parallel()
	clickhousetest.Run(t, func(t *testing.T) {
		opts := clickhousetest.Options(t)
		ctx := context.Background()
		s, err := clickhouse.Open(ctx, opts) // creates the database
		if err != nil {
			t.Fatal(err)
		}
		s.Close()
		const seconds, goroutines, processes = 6, 4, 4
		var (
			mu  sync.Mutex
			all []tenure
		)
		add := func(got []tenure) {
			mu.Lock()
			all = append(all, got...)
			mu.Unlock()
		}
		spec := fmt.Sprintf("%s %s %s %d", opts.Addr[0], opts.Protocol, opts.Database, seconds)
		// Rounds until there is enough to judge: a busy engine (the chDB
		// front runs one query at a time for every test) gives fewer
		// tenures a round.
		for round := 0; round < 5 && !enough(all); round++ {
			var wg sync.WaitGroup
			for i := 0; i < goroutines; i++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					got, err := workLease(ctx, opts, seconds*time.Second)
					if err != nil {
						t.Error(err)
					}
					add(got)
				}()
			}
			for i := 0; i < processes; i++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					cmd := exec.Command(os.Args[0], "-test.run=^TestLeaseWorkerProcess$", "-test.count=1")
					cmd.Env = append(os.Environ(), leaseWorkerEnv+"="+spec)
					out, err := cmd.Output()
					if err != nil {
						t.Errorf("lease worker process: %v\n%s", err, out)
						return
					}
					add(readTenures(t, out))
				}()
			}
			wg.Wait()
		}
		checkTenures(t, all)
	})
}

// TestLeaseWorkerProcess is the body of a lease worker process; it runs
// only when TestLeaseKeepsHoldersApart starts it.
func TestLeaseWorkerProcess(t *testing.T) {
	spec := os.Getenv(leaseWorkerEnv)
	if spec == "" {
		t.Skip("run by TestLeaseKeepsHoldersApart as a process of its own")
	}
	var addr, protocol, database string
	var seconds int
	if _, err := fmt.Sscan(spec, &addr, &protocol, &database, &seconds); err != nil {
		t.Fatalf("%s=%q: %v", leaseWorkerEnv, spec, err)
	}
	opts := clickhouse.Options{Addr: []string{addr}, Database: database, Username: "default", Protocol: clickhouse.Protocol(protocol)}
	got, err := workLease(context.Background(), opts, time.Duration(seconds)*time.Second)
	for _, tn := range got {
		line, _ := json.Marshal(tn)
		fmt.Println("TENURE " + string(line))
	}
	if err != nil {
		t.Fatal(err)
	}
}

func readTenures(t *testing.T, out []byte) []tenure {
	t.Helper()
	var got []tenure
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		line, ok := strings.CutPrefix(sc.Text(), "TENURE ")
		if !ok {
			continue
		}
		var tn tenure
		if err := json.Unmarshal([]byte(line), &tn); err != nil {
			t.Fatalf("worker output %q: %v", line, err)
		}
		got = append(got, tn)
	}
	return got
}

// workLease takes the lease "work" again and again for d on a store of
// its own. Each holding checks the lease a few times with short pauses;
// one in six is abandoned, to expire, and the rest are released.
func workLease(ctx context.Context, opts clickhouse.Options, d time.Duration) ([]tenure, error) {
	s, err := clickhouse.Open(ctx, opts)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	var out []tenure
	const ttl = 2 * time.Second
	for end := time.Now().Add(d); time.Now().Before(end); {
		asked := time.Now()
		l, err := s.TryLease(ctx, "work", ttl)
		if errors.Is(err, clickhouse.ErrLeaseHeld) {
			time.Sleep(time.Duration(rand.IntN(20)) * time.Millisecond)
			continue
		}
		if err != nil {
			return out, err
		}
		tn := tenure{Holder: fmt.Sprintf("%d/%p", os.Getpid(), s), From: time.Now().UnixNano(), To: -1}
		for i := 0; i < 3; i++ {
			start := time.Now().UnixNano()
			if err := l.Check(ctx); err != nil {
				if !errors.Is(err, clickhouse.ErrLeaseLost) {
					return out, err
				}
				break
			}
			tn.To = start
			time.Sleep(time.Duration(rand.IntN(40)) * time.Millisecond)
		}
		if tn.To < 0 {
			if time.Since(asked) >= ttl {
				// The engine was too slow for the lease's TTL (a loaded
				// machine, the chDB front queueing every test's queries):
				// losing it then is the lease working, not a fault.
				continue
			}
			return out, fmt.Errorf("a lease just taken failed its first check within its TTL")
		}
		if tn.Abandoned = rand.IntN(6) == 0; !tn.Abandoned {
			if err := l.Release(ctx); err != nil {
				return out, err
			}
		}
		out = append(out, tn)
	}
	return out, nil
}

// enough reports whether the tenures are enough to judge the lease by:
// some, and at least one takeover of an abandoned lease.
func enough(all []tenure) bool {
	_, takenOver := takeovers(all)
	return len(all) >= 10 && takenOver > 0
}

// takeovers sorts the tenures by start and counts the abandoned ones, and
// those that the next tenure took over.
func takeovers(all []tenure) (abandoned, takenOver int) {
	sort.Slice(all, func(i, j int) bool { return all[i].From < all[j].From })
	for i, tn := range all {
		if tn.Abandoned {
			abandoned++
			if i+1 < len(all) {
				takenOver++
			}
		}
	}
	return abandoned, takenOver
}

// checkTenures fails the test when two tenures overlap, or when there
// were too few of them, or no takeover of an abandoned lease, for the run
// to prove anything.
func checkTenures(t *testing.T, all []tenure) {
	t.Helper()
	abandoned, takenOver := takeovers(all)
	for i := 1; i < len(all); i++ {
		// The tenure that ends last of all before this one.
		last := all[0]
		for _, prev := range all[:i] {
			if prev.To > last.To {
				last = prev
			}
		}
		cur := all[i]
		if cur.From <= last.To {
			t.Errorf("two holders at once: %s held from %s to %s, %s from %s",
				last.Holder, time.Unix(0, last.From).Format(time.StampMicro), time.Unix(0, last.To).Format(time.StampMicro),
				cur.Holder, time.Unix(0, cur.From).Format(time.StampMicro))
		}
	}
	t.Logf("%d tenures, %d abandoned, %d taken over after expiring", len(all), abandoned, takenOver)
	if !enough(all) {
		t.Errorf("%d tenures and %d takeovers of an abandoned lease: too few for the test to prove anything", len(all), takenOver)
	}
}
