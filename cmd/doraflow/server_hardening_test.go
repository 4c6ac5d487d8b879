package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"doraflow/config"
	"doraflow/load/clickhouse"
	"doraflow/load/clickhouse/clickhousetest"
	"doraflow/pipeline/pipelinetest"
)

// serve runs the server of `doraflow run`, with the options of opts, in
// front of h's pipeline on a loopback port until the test ends and
// returns its base URL.
func serve(h *pipelinetest.Harness, opts server) string {
	h.T.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	mustDo(h.T, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	ready := make(chan string, 1)
	opts.listener, opts.ready = ln, func(addr string) { ready <- addr }
	go func() { done <- serverFor(h, opts).run(ctx) }()
	h.T.Cleanup(func() {
		cancel()
		<-done
	})
	return "http://" + <-ready
}

// healthz times one GET /healthz; an error when it does not answer 200.
func healthz(base string) (time.Duration, error) {
	began := time.Now()
	client := &http.Client{Timeout: 5 * time.Second}
	resp, err := client.Get(base + "/healthz")
	if err != nil {
		return time.Since(began), err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return time.Since(began), fmt.Errorf("/healthz answered %d", resp.StatusCode)
	}
	return time.Since(began), nil
}

// healthzBound is how soon /healthz must answer under load: a second, as
// a probe expects; three on the chDB front of make test, which runs one
// query at a time for every test of the run, so the probe's SELECT waits
// its turn behind theirs, not behind the load under test.
func healthzBound(t *testing.T) time.Duration {
	if clickhousetest.Of(t).Protocol == clickhouse.HTTP {
		return 3 * time.Second
	}
	return time.Second
}

// slowClient sends head, then drip one byte every 50ms, and returns how
// long the server let it go on before closing the connection.
func slowClient(addr, head, drip string) (time.Duration, error) {
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	began := time.Now()
	closed := make(chan struct{})
	go func() {
		_, _ = io.Copy(io.Discard, conn) // returns once the server closes
		close(closed)
	}()
	if _, err := io.WriteString(conn, head); err != nil {
		return 0, err
	}
	for i := range len(drip) {
		select {
		case <-closed:
			return time.Since(began), nil
		case <-time.After(50 * time.Millisecond):
		}
		if _, err := conn.Write([]byte{drip[i]}); err != nil {
			return time.Since(began), nil
		}
	}
	return time.Since(began), errors.New("the server waited for the whole request")
}

// TestServeCutsOffSlowClients opens a hundred connections that send their
// request a byte at a time (slowloris): the server closes each once its
// timeout passes, and answers /healthz within a second all along.
func TestServeCutsOffSlowClients(t *testing.T) {
	t.Parallel()
	clickhousetest.Run(t, func(t *testing.T) {
		h := pipelinetest.New(t, func(c *config.Config) { c.Server.Tokens = []config.Secret{"tok"} })
		const headerTimeout, readTimeout = 300 * time.Millisecond, time.Second
		base := serve(h, server{readHeaderTimeout: headerTimeout, readTimeout: readTimeout})
		for _, c := range []struct {
			name, head, drip string
			timeout          time.Duration // the server's limit that must cut the client off
		}{
			{"headers a byte at a time", "POST /api/v1/deployments HTTP/1.1\r\n",
				"Host: doraflow\r\nAuthorization: Bearer tok\r\nX-Slow: " + strings.Repeat("a", 200) + "\r\n\r\n", headerTimeout},
			{"body a byte at a time", "POST /api/v1/deployments HTTP/1.1\r\nHost: doraflow\r\nAuthorization: Bearer tok\r\nContent-Length: 200\r\n\r\n",
				`{"service":"api"}` + strings.Repeat(" ", 183), readTimeout},
		} {
			t.Run(c.name, func(t *testing.T) {
				const clients = 100
				took := make(chan time.Duration, clients)
				errs := make(chan error, clients)
				for range clients {
					go func() {
						d, err := slowClient(strings.TrimPrefix(base, "http://"), c.head, c.drip)
						took <- d
						errs <- err
					}()
				}
				for i := range 5 {
					if d, err := healthz(base); err != nil || d > healthzBound(t) {
						t.Errorf("/healthz #%d while %d slow clients are connected: %s, %v; want 200 within %s", i, clients, d, err, healthzBound(t))
					}
					time.Sleep(100 * time.Millisecond)
				}
				// Slack for a loaded machine, far below the 10s the clients
				// would take.
				limit := c.timeout + 2*time.Second
				for range clients {
					if d, err := <-took, <-errs; err != nil || d > limit {
						t.Fatalf("a slow client was cut off after %s (%v), want within %s", d, err, limit)
					}
				}
			})
		}
	})
}

// TestServeWithstandsARequestFlood sends records as fast as 60 connections
// of one client can for 3 seconds — more than the ClickHouse connection
// pool holds — and checks that every one is recorded (201) and promoted,
// that promotes are batched rather than one per record, and that /healthz
// answers within a second during and after the flood. (Before the write
// API bounded the records it stages at once, the flood took every pooled
// connection and /healthz waited for one, up to answering 503.)
func TestServeWithstandsARequestFlood(t *testing.T) {
	t.Parallel()
	clickhousetest.Run(t, func(t *testing.T) {
		h := pipelinetest.New(t, func(c *config.Config) { c.Server.Tokens = []config.Secret{"tok"} })
		base := serve(h, server{promoteDelay: 50 * time.Millisecond})
		const workers, span = 60, 3 * time.Second
		// A generous timeout: a record costs a few queries (the stored
		// record, the checks), and on the chDB front of make test every
		// query of the run waits its turn.
		client := &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: workers}}
		stop := time.Now().Add(span)
		var mu sync.Mutex
		statuses := map[int]int{}
		var wg sync.WaitGroup
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; time.Now().Before(stop); i++ {
					body := fmt.Sprintf(`{"id":"flood-%d-%d","service":"api","deployed_at":"2024-01-02T10:00:00Z"}`, w, i)
					req, _ := http.NewRequest(http.MethodPost, base+"/api/v1/deployments", strings.NewReader(body))
					req.Header.Set("Authorization", "Bearer tok")
					code := 0
					if resp, err := client.Do(req); err == nil {
						_, _ = io.Copy(io.Discard, resp.Body)
						resp.Body.Close()
						code = resp.StatusCode
					}
					mu.Lock()
					statuses[code]++
					mu.Unlock()
				}
			}()
		}
		var slowest time.Duration
		for time.Now().Before(stop) {
			d, err := healthz(base)
			if err != nil {
				t.Errorf("/healthz during the flood: %v", err)
			}
			slowest = max(slowest, d)
			time.Sleep(100 * time.Millisecond)
		}
		wg.Wait()
		if d, err := healthz(base); err != nil || d > healthzBound(t) || slowest > healthzBound(t) {
			t.Fatalf("/healthz took %s during the flood and %s (%v) after it; want each within %s", slowest, d, err, healthzBound(t))
		}
		created := statuses[http.StatusCreated]
		if len(statuses) != 1 || created == 0 {
			t.Fatalf("answers %v: want every record created (201)", statuses)
		}
		// The promoter picks everything up, in a few batched promotes.
		pipelinetest.Eventually(t, func() bool {
			n, err := h.Store.RowCount(h.Ctx, "deployments")
			return err == nil && n == uint64(created)
		})
		runs, err := h.Store.RecentRuns(h.Ctx, 10000)
		mustDo(t, err)
		promotes := 0
		for _, r := range runs {
			if r.Job == "promote" && r.Source == "api" {
				promotes++
			}
		}
		t.Logf("%d records in %s from %d connections, %d promotes, /healthz at most %s", created, span, workers, promotes, slowest)
		if promotes == 0 || promotes*10 > created {
			t.Fatalf("%d promotes for %d records: want them batched", promotes, created)
		}
	})
}
