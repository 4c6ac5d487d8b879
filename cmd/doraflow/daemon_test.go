package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"doraflow/internal/logtest"
)

// freeAddr returns a loopback address nothing listens on, for a config's
// server.listen.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// daemon is `doraflow run`, in-process, serving on the config's
// server.listen.
type daemon struct {
	t              *testing.T
	base           string // http://server.listen
	cancel         context.CancelFunc
	done           chan int
	stdout, stderr logtest.Buffer
}

// startDaemon runs `doraflow [global] run` with the cli's config, which
// must listen on addr, and waits until /healthz answers.
func (c *cli) startDaemon(addr string, global ...string) *daemon {
	c.t.Helper()
	c.t.Setenv("TEST_CH_PASSWORD", "")
	ctx, cancel := context.WithCancel(context.Background())
	d := &daemon{t: c.t, base: "http://" + addr, cancel: cancel, done: make(chan int, 1)}
	args := append(append([]string{"--config", c.config}, global...), "run")
	go func() { d.done <- run(ctx, args, &d.stdout, &d.stderr) }()
	deadline := time.Now().Add(15 * time.Second)
	for {
		select {
		case code := <-d.done:
			c.t.Fatalf("doraflow run exited %d before serving:\n%s", code, d.stderr.String())
		default:
		}
		if resp, err := http.Get(d.base + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return d
			}
		}
		if time.Now().After(deadline) {
			d.stop()
			c.t.Fatalf("doraflow run did not answer /healthz within 15s:\n%s", d.stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// request sends one request with a bearer token ("" for none) and returns
// the status and body.
func (d *daemon) request(method, path, token, body string) (int, string) {
	d.t.Helper()
	req, err := http.NewRequest(method, d.base+path, strings.NewReader(body))
	if err != nil {
		d.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		d.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		d.t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// stop ends the daemon as SIGTERM would and returns its exit status.
func (d *daemon) stop() int {
	d.t.Helper()
	d.cancel()
	select {
	case code := <-d.done:
		return code
	case <-time.After(30 * time.Second):
		d.t.Fatal("doraflow run did not stop within 30s")
		return -1
	}
}
