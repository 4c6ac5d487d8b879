package github

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
)

// The HTTP stack, top down:
//
//	go-github → sameorigin guard (credentials for the configured host only) → front → httpretry (limits, retries, bodies read whole, MaxInFlight) → rateLimits (holds and serialises after a secondary limit) → signIn (a credential per attempt) → wire → Options.Base
//
// front adds conditional requests and hides GitHub's rate-limit timing
// from go-github; wire counts attempts.

// front is the layer right under go-github.
//
// It sends If-None-Match for the call's probe (see etag.go) and answers a
// 304 of a cached small listing with the cached body.
//
// It also removes X-RateLimit-Reset and Retry-After from every response.
// go-github remembers an exhausted budget (Remaining 0 with a future
// Reset, which even the last successful request of a window carries) and
// a secondary-limit Retry-After, then refuses later calls itself, without
// a request, until those times pass on the real clock. httpretry below
// already waited for them, so that memory could only fail calls that
// would succeed.
type front struct {
	next     http.RoundTripper
	basePath string // the API root's path, "/" or "/api/v3/", left out of keys
	cache    *bodyCache
}

func (f *front) RoundTrip(req *http.Request) (*http.Response, error) {
	p := probeFrom(req.Context())
	var cached cachedBody
	if p != nil {
		p.key = f.key(req.URL)
		etag := ""
		if p.cache {
			var ok bool
			if cached, ok = f.cache.get(p.key); ok {
				etag = cached.etag
			}
		} else if p.etag != nil {
			etag = p.etag(p.key)
		}
		if etag != "" {
			req = req.Clone(req.Context())
			req.Header.Set("If-None-Match", etag)
		}
	}
	resp, err := f.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	resp.Header.Del("X-RateLimit-Reset")
	resp.Header.Del("Retry-After")
	if p == nil || !p.cache {
		return resp, nil
	}
	switch resp.StatusCode {
	case http.StatusNotModified:
		if cached.body != nil {
			return cached.response(resp), nil
		}
	case http.StatusOK:
		body, _ := io.ReadAll(resp.Body) // read whole by httpretry already
		resp.Body = io.NopCloser(bytes.NewReader(body))
		if etag := resp.Header.Get("ETag"); etag != "" {
			f.cache.put(p.key, cachedBody{etag: etag, link: resp.Header.Get("Link"), body: body})
		}
	}
	return resp, nil
}

// key names a request for conditional requests: its path under the API
// root and its query, e.g. "repos/acme/api/pulls?direction=desc&page=1&…".
// go-github encodes queries with url.Values.Encode, which sorts them, so
// the same call always has the same key.
func (f *front) key(u *url.URL) string {
	return strings.TrimPrefix(u.EscapedPath(), f.basePath) + "?" + u.RawQuery
}

// wire is the layer over the connection. It counts every attempt (and
// every 304) for the Read's Stats. httpretry above it reads each body
// whole, so a connection dropped in mid-body is retried there instead of
// handing go-github a truncated document it cannot decode.
type wire struct{ base http.RoundTripper }

func (w wire) RoundTrip(req *http.Request) (*http.Response, error) {
	c := countersFrom(req.Context())
	if c != nil {
		c.requests.Add(1)
	}
	resp, err := w.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	if c != nil && resp.StatusCode == http.StatusNotModified {
		c.notModified.Add(1)
	}
	return resp, nil
}

// counters count one Read's requests; wire finds them in the request's
// context.
type counters struct {
	requests, notModified atomic.Int64
	// points are the GraphQL points spent, as GitHub's rateLimit.cost
	// reports them.
	points atomic.Int64
}

type countersKey struct{}

func withCounters(ctx context.Context, c *counters) context.Context {
	return context.WithValue(ctx, countersKey{}, c)
}

func countersFrom(ctx context.Context) *counters {
	c, _ := ctx.Value(countersKey{}).(*counters)
	return c
}

// bodyCache keeps the bodies of small listings that are re-read whole on
// every read — an owner's repositories, a repository's workflows — so they
// can be asked for conditionally: a 304 is answered from here. It holds at
// most maxBytes of bodies; when full it starts over, which costs requests,
// never correctness.
type bodyCache struct {
	mu       sync.Mutex
	entries  map[string]cachedBody
	bytes    int
	maxBytes int
}

// bodyCacheBytes bounds the cached listing bodies: a repository's
// workflows are a few kilobytes, a page of 100 repositories some hundreds.
const bodyCacheBytes = 16 << 20

// cachedBody is one cached page.
type cachedBody struct {
	etag, link string
	body       []byte
}

func newBodyCache(maxBytes int) *bodyCache {
	return &bodyCache{entries: map[string]cachedBody{}, maxBytes: maxBytes}
}

func (c *bodyCache) get(key string) (cachedBody, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	return e, ok
}

func (c *bodyCache) put(key string, e cachedBody) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.entries[key]; ok {
		c.bytes -= len(old.body)
	}
	if c.bytes+len(e.body) > c.maxBytes {
		c.entries, c.bytes = map[string]cachedBody{}, 0
	}
	c.entries[key] = e
	c.bytes += len(e.body)
}

// response turns a 304 into the 200 it stands for. The Link header is
// restored because go-github pages by it, and X-From-Cache tells go-github
// (as httpcache does) not to take rate figures from it.
func (e cachedBody) response(notModified *http.Response) *http.Response {
	r := *notModified
	r.StatusCode, r.Status = http.StatusOK, "200 OK"
	r.Header = notModified.Header.Clone()
	r.Header.Set("X-From-Cache", "1")
	if e.link != "" {
		r.Header.Set("Link", e.link)
	}
	r.Body = io.NopCloser(bytes.NewReader(e.body))
	r.ContentLength = int64(len(e.body))
	return &r
}
