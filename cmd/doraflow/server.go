package main

import (
	"cmp"
	"context"
	"crypto/tls"
	"fmt"
	"log"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/rs/zerolog"

	"doraflow/config"
	"doraflow/extract/custom"
	"doraflow/pipeline"
)

// server is the HTTP side of `doraflow run`: the write and read APIs
// (server_read.go), /healthz and
// /metrics on server.listen — over HTTPS when server.tls names a
// certificate — in front of the pipeline's background work (the sync
// schedule and the promoter, pipeline.Work). The pipeline decides what is
// done and when; the server decides who may ask, over what, and for how
// long.
type server struct {
	pipeline *pipeline.Pipeline
	// cfg is the pipeline's config: server.* and schedule.sync.
	cfg *config.Config
	log zerolog.Logger
	// telemetry is what the pipeline counts into (pipeline.WithTelemetry),
	// served at /metrics with the refused requests. Nil serves a fresh one,
	// which shows only those.
	telemetry *pipeline.Telemetry

	// listener serves the HTTP API; nil listens on server.listen.
	listener net.Listener
	// tls, when set, serves HTTPS with it. Nil loads the certificate of
	// server.tls (see serverTLS), and serves plain HTTP when that names
	// no files.
	tls *tls.Config
	// clock drives the schedule; tests pass a fake one. Default: real time.
	clock clockwork.Clock
	// shutdownTimeout bounds how long a stop waits for the requests and
	// the work running, default 30s. Work still running then is abandoned:
	// it is idempotent and the next run repeats it.
	shutdownTimeout time.Duration
	// promoteDelay batches records that arrive close together into one
	// promote, default 1s.
	promoteDelay time.Duration
	// ready, when set, is called once the API listens and the schedule runs.
	ready func(addr string)
	// readHeaderTimeout, readTimeout, writeTimeout and idleTimeout bound
	// how long one client may hold a connection, so slow or stalled
	// clients (slowloris) cannot use up the server; defaults 5s, 30s, 60s
	// and 2m. Tests shorten them.
	readHeaderTimeout, readTimeout, writeTimeout, idleTimeout time.Duration
}

// run serves until ctx ends, then stops within shutdownTimeout: first the
// HTTP server (no new request; the running ones finish), then the work,
// so that every record the API accepted is promoted or left staged for
// the next promote. It returns nil on such a stop, and an error when the
// server cannot start or fails.
func (s *server) run(ctx context.Context) error {
	shutdownTimeout := cmp.Or(s.shutdownTimeout, 30*time.Second)
	tel := s.telemetry
	if tel == nil {
		tel = pipeline.NewTelemetry()
	}
	tlsConfig := s.tls
	if tlsConfig == nil {
		var err error
		if tlsConfig, err = serverTLS(s.cfg.Server.TLS); err != nil {
			return fmt.Errorf("run: %w", err)
		}
	}
	ln := s.listener
	if ln == nil {
		var err error
		if ln, err = net.Listen("tcp", s.cfg.Server.Listen); err != nil {
			return fmt.Errorf("run: listen on %s (server.listen): %w", s.cfg.Server.Listen, err)
		}
	}
	s.warnExposure(ln.Addr(), tlsConfig != nil)

	work, err := s.pipeline.StartWork(ctx, pipeline.WorkOptions{Clock: s.clock, StopTimeout: shutdownTimeout, PromoteDelay: s.promoteDelay})
	if err != nil {
		ln.Close()
		return fmt.Errorf("run: %w", err)
	}
	tokens := make([]string, len(s.cfg.Server.Tokens))
	for i, t := range s.cfg.Server.Tokens {
		tokens[i] = t.Value()
	}
	mux := http.NewServeMux()
	api := custom.NewHandler(work.Recorder(), tokens, s.log)
	api.Refused = tel.RefusedRequest
	api.Register(mux)
	now := time.Now
	if s.clock != nil {
		now = s.clock.Now
	}
	read := &readAPI{pipeline: s.pipeline, loc: s.cfg.Location, log: s.log, now: now, refused: tel.RefusedRequest,
		tokens: newTokenSet(s.cfg.Server.Tokens, s.cfg.Server.ReadTokens)}
	read.register(mux)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		// An orchestrator's probe gives up after a few seconds: answer
		// before it does.
		pingCtx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := s.pipeline.Health(pingCtx); err != nil {
			http.Error(w, "clickhouse: unreachable\n", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ok")
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(tel.Registry, promhttp.HandlerOpts{}))
	srv := &http.Server{
		Handler: readOnly(mux, newTokenSet(s.cfg.Server.Tokens), newTokenSet(s.cfg.Server.ReadTokens), tel.RefusedRequest),
		// A slow or stalled client cannot hold a connection for long.
		ReadHeaderTimeout: cmp.Or(s.readHeaderTimeout, 5*time.Second),
		ReadTimeout:       cmp.Or(s.readTimeout, 30*time.Second),
		WriteTimeout:      cmp.Or(s.writeTimeout, 60*time.Second),
		IdleTimeout:       cmp.Or(s.idleTimeout, 2*time.Minute),
		MaxHeaderBytes:    64 << 10,
		TLSConfig:         tlsConfig,
		ErrorLog:          log.New(httpErrors{s.log}, "", 0),
	}
	scheme := "http"
	if tlsConfig != nil {
		scheme = "https"
	}
	serveErr := make(chan error, 1)
	go func() {
		if tlsConfig != nil {
			// The certificate is in TLSConfig: no files to name here.
			serveErr <- srv.ServeTLS(ln, "", "")
			return
		}
		serveErr <- srv.Serve(ln)
	}()
	s.log.Info().Str("listen", ln.Addr().String()).Str("scheme", scheme).Str("sync", s.cfg.Schedule.Sync).Str("timezone", s.cfg.Location.String()).Msg("doraflow running")
	if s.ready != nil {
		s.ready(ln.Addr().String())
	}

	var runErr error
	select {
	case <-ctx.Done():
	case runErr = <-serveErr:
		runErr = fmt.Errorf("run: HTTP server: %w", runErr)
	}
	s.log.Info().Msg("stopping: no new work; finishing or abandoning the current batch")
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
	defer cancel()
	_ = srv.Shutdown(shutdownCtx)
	work.Stop(shutdownCtx)
	s.log.Info().Msg("stopped")
	return runErr
}

// warnExposure warns, once each at start, about an API that is easy to
// misuse: one that listens beyond loopback in clear text, where tokens
// and records can be read on the way, and one with no tokens, which
// refuses every write. Neither shows a token.
func (s *server) warnExposure(addr net.Addr, https bool) {
	if tcp, ok := addr.(*net.TCPAddr); ok && !tcp.IP.IsLoopback() && !https {
		s.log.Warn().Str("listen", addr.String()).Str("key", "server.tls").
			Msg("the HTTP API listens beyond loopback without TLS: bearer tokens and records cross the network in clear text; set server.tls.cert_file and key_file, or listen on 127.0.0.1 behind a proxy that terminates TLS")
	}
	if len(s.cfg.Server.Tokens) == 0 {
		s.log.Warn().Str("key", "server.tokens").
			Msg("server.tokens is empty: every write to the HTTP API is refused with 401; add a token to accept records")
	}
}

// httpErrors routes net/http's own error log — failed TLS handshakes,
// accept errors, panics in handlers — into the structured log instead of
// bare lines on stderr. Failed handshakes are debug: scanners and clients
// that speak plain HTTP to the HTTPS port make them all the time on a
// reachable port.
type httpErrors struct{ log zerolog.Logger }

func (h httpErrors) Write(p []byte) (int, error) {
	msg := strings.TrimSpace(string(p))
	ev := h.log.Warn()
	if strings.Contains(msg, "TLS handshake error") {
		ev = h.log.Debug()
	}
	ev.Str("error", msg).Msg("HTTP server")
	return len(p), nil
}
