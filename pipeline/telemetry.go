package pipeline

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"doraflow/extract/custom"
)

// Telemetry counts what the pipeline does, for the /metrics endpoint of
// `doraflow run`. A nil *Telemetry counts nothing, so the CLI commands
// need none.
type Telemetry struct {
	// Registry holds doraflow's metrics and the Go runtime's; serve it with
	// promhttp.HandlerFor.
	Registry *prometheus.Registry

	runs        *prometheus.CounterVec
	rows        *prometheus.CounterVec
	errors      *prometheus.CounterVec
	apiRequests *prometheus.CounterVec
	refused     *prometheus.CounterVec
	duration    *prometheus.HistogramVec
}

// runDurationBuckets are the upper bounds of the run duration histogram,
// from a promote of nothing to a long backfill chunk. They are written
// out rather than made by prometheus.ExponentialBuckets, whose products
// of floats show as le="0.15000000000000002" on /metrics.
var runDurationBuckets = []float64{0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800}

// NewTelemetry returns a fresh set of metrics in its own registry.
func NewTelemetry() *Telemetry {
	t := &Telemetry{
		Registry: prometheus.NewRegistry(),
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "doraflow_runs_total", Help: "Job runs by job (sync, promote, backfill) and status (ok, failed).",
		}, []string{"job", "status"}),
		rows: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "doraflow_rows_staged_total", Help: "Rows written to staging, by entity.",
		}, []string{"entity"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "doraflow_errors_total", Help: "Failed job runs, by source (github, pagerduty, custom, promote).",
		}, []string{"source"}),
		apiRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "doraflow_api_requests_total", Help: "Requests to source APIs, by source and HTTP status (\"error\" when no response came).",
		}, []string{"source", "status"}),
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "doraflow_server_refused_requests_total",
			Help: "Requests to the HTTP API of doraflow run refused before they were recorded, by reason (unauthorized: 401, invalid: 400, too_large: 413).",
		}, []string{"reason"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "doraflow_run_duration_seconds", Help: "How long job runs take, by job.",
			Buckets: runDurationBuckets,
		}, []string{"job"}),
	}
	t.Registry.MustRegister(t.runs, t.rows, t.errors, t.apiRequests, t.refused, t.duration,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	// Every reason shows from the start, at 0: an alert on the rate of
	// refusals then needs no special case for a series that is absent.
	for _, reason := range []string{custom.RefusedUnauthorized, custom.RefusedInvalid, custom.RefusedTooLarge} {
		t.refused.WithLabelValues(reason)
	}
	return t
}

// RefusedRequest counts a request the HTTP API refused, by reason (one
// of the custom.Refused* reasons): set it as the write API's
// custom.Handler.Refused.
func (t *Telemetry) RefusedRequest(reason string) {
	if t == nil {
		return
	}
	t.refused.WithLabelValues(reason).Inc()
}

func (t *Telemetry) run(job, source string, took time.Duration, err error) {
	if t == nil {
		return
	}
	status := "ok"
	if err != nil {
		status = "failed"
		t.errors.WithLabelValues(source).Inc()
	}
	t.runs.WithLabelValues(job, status).Inc()
	t.duration.WithLabelValues(job).Observe(took.Seconds())
}

func (t *Telemetry) staged(entity string, n int) {
	if t == nil || n == 0 {
		return
	}
	t.rows.WithLabelValues(entity).Add(float64(n))
}

// Transport wraps an HTTP transport so every request to source is counted
// by status. Put it under the retrying transport to count each attempt.
func (t *Telemetry) Transport(source string, base http.RoundTripper) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	if t == nil {
		return base
	}
	return roundTripFunc(func(req *http.Request) (*http.Response, error) {
		resp, err := base.RoundTrip(req)
		status := "error"
		if resp != nil {
			status = strconv.Itoa(resp.StatusCode)
		}
		t.apiRequests.WithLabelValues(source, status).Inc()
		return resp, err
	})
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
