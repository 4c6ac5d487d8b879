package fakeapi

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
)

// Recorder is a server that answers every request with one JSON body and
// keeps each request as it was sent (method, URL, headers, body): the
// "other host" of tests that prove no credentials reach it.
type Recorder struct {
	*httptest.Server
	mu   sync.Mutex
	seen []string
}

// NewRecorder starts a Recorder answering body; Close stops it.
func NewRecorder(body string) *Recorder {
	rec := &Recorder{}
	rec.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sent, _ := io.ReadAll(r.Body)
		var b strings.Builder
		b.WriteString(r.Method + " " + r.URL.String() + "\n")
		_ = r.Header.Write(&b)
		b.Write(sent)
		rec.mu.Lock()
		rec.seen = append(rec.seen, b.String())
		rec.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(body))
	}))
	return rec
}

// Requests returns the requests received so far, each as sent.
func (rec *Recorder) Requests() []string {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return append([]string(nil), rec.seen...)
}
