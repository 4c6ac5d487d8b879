package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"
)

// demoFakes are the demo's simulated GitHub and PagerDuty, each served by
// an http.Server of its own on a loopback port.
type demoFakes struct {
	githubURL, pagerdutyURL string
	servers                 []*http.Server
	errs                    chan error
}

// serveFakes serves github and pagerduty on 127.0.0.1 at the given ports
// (0: any free port). A port in use is an error that says what to do.
func serveFakes(github http.Handler, githubPort int, pagerduty http.Handler, pagerdutyPort int) (*demoFakes, error) {
	f := &demoFakes{errs: make(chan error, 2)}
	var urls [2]string
	for i, s := range []struct {
		name, flag string
		h          http.Handler
		port       int
	}{{"GitHub", "--github-port", github, githubPort}, {"PagerDuty", "--pagerduty-port", pagerduty, pagerdutyPort}} {
		ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", s.port))
		if err != nil {
			f.close()
			return nil, fmt.Errorf("demo: serve the simulated %s: %w; is another 'doraflow demo --serve' running? Stop it, or give another %s", s.name, err, s.flag)
		}
		srv := &http.Server{Handler: s.h, ReadHeaderTimeout: 10 * time.Second}
		f.servers = append(f.servers, srv)
		urls[i] = "http://" + ln.Addr().String()
		go func() {
			if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
				f.errs <- err
			}
		}()
	}
	// go-github wants its base URL with the trailing slash; go-pagerduty
	// its endpoint without.
	f.githubURL, f.pagerdutyURL = urls[0]+"/", urls[1]
	return f, nil
}

// close shuts the servers down, letting requests in flight finish for a
// few seconds; it returns the first error a server stopped with. It is
// safe to call more than once.
func (f *demoFakes) close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var errs []error
	for _, s := range f.servers {
		errs = append(errs, s.Shutdown(ctx))
	}
	select {
	case err := <-f.errs:
		errs = append(errs, err)
	default:
	}
	return errors.Join(errs...)
}
