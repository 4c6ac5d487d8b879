package openapitest

import (
	"bytes"
	"io"
	"net/http"
	"net/url"
	"sync"
)

// Exchange is one request a client sent and the response it got, as they
// crossed the wire.
type Exchange struct {
	Method string
	// URL is the request's absolute URL.
	URL *url.URL
	// RequestHeader is what the client sent (with its Authorization: an
	// Exchange stays inside the test).
	RequestHeader http.Header
	Status        int
	Header        http.Header
	Body          []byte
	// Cut is set when the body could not be read whole (a connection cut
	// short by an injected fault): such a response has no shape to check.
	Cut bool
}

// Tape is an http.RoundTripper that keeps every exchange that passes
// through it. Put it where a client's requests reach the wire (a
// Source's Base transport), so it sees every attempt, retries and
// refusals included.
type Tape struct {
	// Base sends the requests; nil means http.DefaultTransport.
	Base http.RoundTripper

	mu        sync.Mutex
	exchanges []Exchange
}

// RoundTrip sends req through Base and keeps the exchange. The body is
// read whole and handed on unchanged, its read error included, so the
// client behaves as it would without the tape.
func (t *Tape) RoundTrip(req *http.Request) (*http.Response, error) {
	base := t.Base
	if base == nil {
		base = http.DefaultTransport
	}
	resp, err := base.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	body, readErr := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	u := *req.URL
	t.mu.Lock()
	t.exchanges = append(t.exchanges, Exchange{
		Method: req.Method, URL: &u, RequestHeader: req.Header.Clone(),
		Status: resp.StatusCode, Header: resp.Header.Clone(), Body: body, Cut: readErr != nil,
	})
	t.mu.Unlock()
	resp.Body = io.NopCloser(io.MultiReader(bytes.NewReader(body), errReader{readErr}))
	return resp, nil
}

// Exchanges returns the exchanges so far, in the order they ended.
func (t *Tape) Exchanges() []Exchange {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]Exchange(nil), t.exchanges...)
}

// errReader replays a body's read error after its bytes (io.EOF when the
// body was whole).
type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) {
	if e.err == nil {
		return 0, io.EOF
	}
	return 0, e.err
}
