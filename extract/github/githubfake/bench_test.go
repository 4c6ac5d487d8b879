package githubfake

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
)

// The benchmarks serve the benchmark-scale organisation (SizeFor(100_000):
// 50,000 pull requests, 50,000 runs) through ServeHTTP without a network,
// to show that a page costs the page: the first and the last page of a
// listing take the same time.

func BenchmarkGenerate(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			b.ReportAllocs()
			for range b.N {
				Generate(1, SizeFor(n))
			}
		})
	}
}

func benchServe(b *testing.B, s *Server, path string) {
	b.Helper()
	req := httptest.NewRequest("GET", path, nil)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("%s: %d %s", path, rec.Code, rec.Body.String())
		}
	}
}

func BenchmarkServe(b *testing.B) {
	o := Generate(1, SizeFor(100_000))
	s := NewServer(o, Options{Budget: 1 << 30})
	r := o.Repos[0]
	lastPullsPage := strconv.Itoa((len(r.PRs) + 99) / 100)
	lastRunsPage := strconv.Itoa((len(r.Runs) + 99) / 100)
	for _, tc := range []struct{ name, path string }{
		{"pulls/first", "/repos/acme/api/pulls?state=all&per_page=100"},
		{"pulls/last", "/repos/acme/api/pulls?state=all&per_page=100&page=" + lastPullsPage},
		{"pulls/closed-base-main", "/repos/acme/api/pulls?state=closed&base=main&per_page=100&page=3"},
		{"runs/first", "/repos/acme/api/actions/runs?per_page=100"},
		{"runs/last", "/repos/acme/api/actions/runs?per_page=100&page=" + lastRunsPage},
		{"runs/filtered-created", "/repos/acme/api/actions/workflows/deploy.yml/runs?status=success&branch=main&created=>=2024-05-01&per_page=100"},
		{"compare/week", "/repos/acme/api/compare/main~40...main"},
		{"commits/since", "/repos/acme/api/commits?since=2024-05-20T00:00:00Z&per_page=100"},
		{"deployments", "/repos/acme/infra/deployments?environment=production&per_page=100"},
		{"pull", "/repos/acme/api/pulls/" + strconv.Itoa(r.PRs[len(r.PRs)/2].Number)},
	} {
		b.Run(tc.name, func(b *testing.B) { benchServe(b, s, tc.path) })
	}
}
