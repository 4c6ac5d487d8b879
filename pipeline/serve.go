package pipeline

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/go-co-op/gocron/v2"
	"github.com/jonboulle/clockwork"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/rs/zerolog"

	"doraflow"
	"doraflow/config"
	"doraflow/extract/custom"
)

// ServeOptions configure `doraflow run`.
type ServeOptions struct {
	// Listener serves the HTTP API; nil listens on server.listen.
	Listener net.Listener
	// Clock drives the schedule; tests pass a fake one. Default: real time.
	Clock clockwork.Clock
	// ShutdownTimeout bounds how long a stop waits for the running work,
	// default 30s. Work still running then is abandoned: it is idempotent
	// and the next run repeats it.
	ShutdownTimeout time.Duration
	// PromoteDelay batches records that arrive close together into one
	// promote, default 1s.
	PromoteDelay time.Duration
	// Ready, when set, is called once the API listens and the schedule runs.
	Ready func(addr string)
	// TLS, when set, serves HTTPS with it. Nil loads the certificate of
	// server.tls (see ServerTLS), and serves plain HTTP when that names
	// no files.
	TLS *tls.Config
	// ReadHeaderTimeout, ReadTimeout, WriteTimeout and IdleTimeout bound
	// how long one client may hold a connection, so slow or stalled
	// clients (slowloris) cannot use up the server; defaults 5s, 30s, 60s
	// and 2m. Tests shorten them.
	ReadHeaderTimeout, ReadTimeout, WriteTimeout, IdleTimeout time.Duration
}

// Serve is `doraflow run`: it syncs on the schedule.sync cron in the
// config's time zone — never two syncs at once, in this process (the
// scheduler's singleton mode) or across processes (the sync lease) — and
// serves the write API, /healthz and /metrics — over HTTPS when server.tls
// names a certificate — until ctx ends. Records that arrive over the API
// are staged at once and promoted within PromoteDelay.
func (p *Pipeline) Serve(ctx context.Context, opts ServeOptions) error {
	if opts.Clock == nil {
		opts.Clock = clockwork.NewRealClock()
	}
	if opts.ShutdownTimeout == 0 {
		opts.ShutdownTimeout = 30 * time.Second
	}
	if opts.PromoteDelay == 0 {
		opts.PromoteDelay = time.Second
	}
	for _, d := range []struct {
		opt *time.Duration
		def time.Duration
	}{{&opts.ReadHeaderTimeout, 5 * time.Second}, {&opts.ReadTimeout, 30 * time.Second}, {&opts.WriteTimeout, 60 * time.Second}, {&opts.IdleTimeout, 2 * time.Minute}} {
		if *d.opt == 0 {
			*d.opt = d.def
		}
	}
	if p.telemetry == nil {
		p.telemetry = NewTelemetry()
	}
	if opts.TLS == nil {
		var err error
		if opts.TLS, err = ServerTLS(p.cfg.Server.TLS); err != nil {
			return fmt.Errorf("run: %w", err)
		}
	}
	ln := opts.Listener
	if ln == nil {
		var err error
		if ln, err = net.Listen("tcp", p.cfg.Server.Listen); err != nil {
			return fmt.Errorf("run: listen on %s (server.listen): %w", p.cfg.Server.Listen, err)
		}
	}
	p.warnExposure(ln.Addr(), opts.TLS != nil)
	work, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	defer stopWork()

	sched, err := gocron.NewScheduler(gocron.WithLocation(p.cfg.Location), gocron.WithClock(opts.Clock),
		gocron.WithStopTimeout(opts.ShutdownTimeout))
	if err != nil {
		return fmt.Errorf("run: scheduler: %w", err)
	}
	_, err = sched.NewJob(gocron.CronJob(p.cfg.Schedule.Sync, false),
		gocron.NewTask(func() { p.scheduledSync(work) }),
		gocron.WithName("sync"),
		// A sync still running when the next is due is not started twice.
		gocron.WithSingletonMode(gocron.LimitModeReschedule))
	if err != nil {
		return fmt.Errorf("run: schedule.sync %q: %w", p.cfg.Schedule.Sync, err)
	}

	kick := make(chan struct{}, 1)
	promoterDone := make(chan struct{})
	go func() {
		defer close(promoterDone)
		p.promoter(work, kick, opts.PromoteDelay)
	}()

	tokens := make([]string, len(p.cfg.Server.Tokens))
	for i, t := range p.cfg.Server.Tokens {
		tokens[i] = t.Value()
	}
	mux := http.NewServeMux()
	api := custom.NewHandler(&kickingRecorder{p: p, kick: kick, slots: make(chan struct{}, maxStagingAtOnce)}, tokens, p.log)
	api.Refused = p.telemetry.refusedRequest
	api.Register(mux)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		pingCtx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := p.store.Ping(pingCtx); err != nil {
			http.Error(w, "clickhouse: unreachable\n", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ok")
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(p.telemetry.Registry, promhttp.HandlerOpts{}))
	srv := &http.Server{
		Handler: mux,
		// A slow or stalled client cannot hold a connection for long.
		ReadHeaderTimeout: opts.ReadHeaderTimeout,
		ReadTimeout:       opts.ReadTimeout,
		WriteTimeout:      opts.WriteTimeout,
		IdleTimeout:       opts.IdleTimeout,
		MaxHeaderBytes:    64 << 10,
		TLSConfig:         opts.TLS,
		ErrorLog:          log.New(httpErrors{p.log}, "", 0),
	}
	scheme := "http"
	if opts.TLS != nil {
		scheme = "https"
	}
	serveErr := make(chan error, 1)
	go func() {
		if opts.TLS != nil {
			// The certificate is in TLSConfig: no files to name here.
			serveErr <- srv.ServeTLS(ln, "", "")
			return
		}
		serveErr <- srv.Serve(ln)
	}()
	sched.Start()
	p.log.Info().Str("listen", ln.Addr().String()).Str("scheme", scheme).Str("sync", p.cfg.Schedule.Sync).Str("timezone", p.cfg.Location.String()).Msg("doraflow running")
	if opts.Ready != nil {
		opts.Ready(ln.Addr().String())
	}

	var runErr error
	select {
	case <-ctx.Done():
	case runErr = <-serveErr:
		runErr = fmt.Errorf("run: HTTP server: %w", runErr)
	}
	p.log.Info().Msg("stopping: no new work; finishing or abandoning the current batch")
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), opts.ShutdownTimeout)
	defer cancel()
	_ = srv.Shutdown(shutdownCtx)
	// Let the running work see the stop; promote and sync are idempotent,
	// so what they leave unfinished is repeated by the next run.
	stopWork()
	if err := sched.Shutdown(); err != nil && !errors.Is(err, gocron.ErrStopSchedulerTimedOut) {
		p.log.Warn().Err(err).Msg("scheduler stop")
	}
	select {
	case <-promoterDone:
	case <-shutdownCtx.Done():
	}
	p.log.Info().Msg("stopped")
	return runErr
}

// ServerTLS loads the certificate and key of server.tls for the HTTP API:
// nil when neither file is set (plain HTTP). An error names the key whose
// file is missing, unreadable or wrong. The files are read once, at start:
// restart doraflow run after renewing the certificate.
func ServerTLS(c config.ServerTLS) (*tls.Config, error) {
	if c.CertFile == "" && c.KeyFile == "" {
		return nil, nil
	}
	if c.CertFile == "" || c.KeyFile == "" {
		// config.Load refuses this; a Config built in code may not.
		return nil, errors.New("server.tls: set both cert_file and key_file, or neither")
	}
	certPEM, err := os.ReadFile(c.CertFile)
	if err != nil {
		return nil, fmt.Errorf("server.tls.cert_file: %w (set it to a readable PEM certificate, or remove server.tls to serve plain HTTP)", err)
	}
	keyPEM, err := os.ReadFile(c.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("server.tls.key_file: %w (set it to the readable PEM private key of server.tls.cert_file)", err)
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		// The error names what is wrong, never the key's content.
		return nil, fmt.Errorf("server.tls.cert_file %s and key_file %s: %w (want a PEM certificate chain and its PEM private key)", c.CertFile, c.KeyFile, err)
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, nil
}

// warnExposure warns, once each at start, about an API that is easy to
// misuse: one that listens beyond loopback in clear text, where tokens
// and records can be read on the way, and one with no tokens, which
// refuses every write. Neither shows a token.
func (p *Pipeline) warnExposure(addr net.Addr, https bool) {
	if tcp, ok := addr.(*net.TCPAddr); ok && !tcp.IP.IsLoopback() && !https {
		p.log.Warn().Str("listen", addr.String()).Str("key", "server.tls").
			Msg("the HTTP API listens beyond loopback without TLS: bearer tokens and records cross the network in clear text; set server.tls.cert_file and key_file, or listen on 127.0.0.1 behind a proxy that terminates TLS")
	}
	if len(p.cfg.Server.Tokens) == 0 {
		p.log.Warn().Str("key", "server.tokens").
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

// scheduledSync runs one scheduled sync and logs its outcome: a scheduled
// job has no caller to return an error to.
func (p *Pipeline) scheduledSync(ctx context.Context) {
	res, err := p.Sync(ctx, SyncOptions{})
	switch {
	case errors.Is(err, ErrBusy):
		p.log.Warn().Err(err).Msg("scheduled sync skipped")
	case err != nil:
		p.log.Error().Err(err).Msg("scheduled sync finished with errors")
	default:
		p.log.Info().Int("deployments", res.Deployments).Int("changes", res.Changes).Int("incidents", res.Incidents).
			Int("events", res.Promote.Events).Msg("scheduled sync done")
	}
}

// promoter promotes after records arrived, batching those that arrive
// within delay of each other.
func (p *Pipeline) promoter(ctx context.Context, kick <-chan struct{}, delay time.Duration) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-kick:
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(delay):
		}
		if _, err := p.promoteLogged(ctx, "api"); err != nil && ctx.Err() == nil {
			p.log.Error().Err(err).Msg("promote after API records failed; the next promote retries it")
		}
	}
}

// maxStagingAtOnce bounds the API records being staged at once. Each one
// holds a pooled ClickHouse connection while it is staged; unbounded, a
// flood of records took every connection of the pool (clickhouse-go keeps
// 10), and /healthz, promote and the scheduled sync waited behind it until
// /healthz answered 503. Records past the bound wait for a slot.
const maxStagingAtOnce = 4

// kickingRecorder stages API records and asks the promoter to run.
type kickingRecorder struct {
	p     *Pipeline
	kick  chan<- struct{}
	slots chan struct{} // one per record being staged
}

func (k *kickingRecorder) StageDeploymentRecord(ctx context.Context, r custom.DeploymentRecord) (d doraflow.Deployment, created bool, err error) {
	if err := k.acquire(ctx); err != nil {
		return d, false, err
	}
	defer k.release()
	d, created, err = k.p.StageDeploymentRecord(ctx, r)
	k.done(err, "deployments")
	return d, created, err
}

func (k *kickingRecorder) StageIncidentRecord(ctx context.Context, r custom.IncidentRecord) (in doraflow.Incident, created bool, err error) {
	if err := k.acquire(ctx); err != nil {
		return in, false, err
	}
	defer k.release()
	in, created, err = k.p.StageIncidentRecord(ctx, r)
	k.done(err, "incidents")
	return in, created, err
}

// acquire waits for a staging slot, or until the caller gives up.
func (k *kickingRecorder) acquire(ctx context.Context) error {
	select {
	case k.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("waiting to stage the record: %w", ctx.Err())
	}
}

func (k *kickingRecorder) release() { <-k.slots }

func (k *kickingRecorder) done(err error, entity string) {
	if err != nil {
		return
	}
	k.p.telemetry.staged(entity, 1)
	select {
	case k.kick <- struct{}{}:
	default: // a promote is already due
	}
}
