package pipeline

import (
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// TestHistogramBoundsPrintCleanly scrapes /metrics after one run and checks
// that every bucket bound of the run duration histogram reads as written
// (le="0.5"), not as a float product (le="0.15000000000000002").
func TestHistogramBoundsPrintCleanly(t *testing.T) {
	tel := NewTelemetry()
	tel.run("sync", "github", 0, nil)
	rec := httptest.NewRecorder()
	promhttp.HandlerFor(tel.Registry, promhttp.HandlerOpts{}).ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	bound := regexp.MustCompile(`doraflow_run_duration_seconds_bucket\{job="sync",le="([^"]+)"\}`)
	var got []string
	for _, m := range bound.FindAllStringSubmatch(rec.Body.String(), -1) {
		got = append(got, m[1])
	}
	var want []string
	for _, b := range runDurationBuckets {
		want = append(want, strconv.FormatFloat(b, 'g', -1, 64))
	}
	want = append(want, "+Inf")
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("bounds on /metrics: %q, want %q", got, want)
	}
	for _, b := range want {
		if len(b) > 4 {
			t.Errorf("bound le=%q is not a round number", b)
		}
	}
}
