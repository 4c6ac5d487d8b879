package fakeapi

import (
	"context"
	"net/http"
	"strconv"
	"time"
)

// ContentTypeJSON is the Content-Type of the fakes' JSON answers.
const ContentTypeJSON = "application/json; charset=utf-8"

// StatusClientClosed is what a fake logs for a request whose client went
// away before the answer (nginx's convention).
const StatusClientClosed = 499

// Sleep waits d, unless ctx ends or stop is closed first (a nil stop
// never is); it reports whether the whole wait elapsed. A d of zero or
// less returns at once, reporting whether ctx is still live.
func Sleep(ctx context.Context, d time.Duration, stop <-chan struct{}) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	case <-stop:
		return false
	}
}

// Write answers with status and body, announcing its Content-Type (JSON
// when contentType is "") and Content-Length.
func Write(w http.ResponseWriter, status int, contentType string, body []byte) {
	header(w, contentType, len(body))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// Cut answers as Write would but sends only the first half of body, then
// closes the connection: the Truncate fault. It does not return.
func Cut(w http.ResponseWriter, status int, contentType string, body []byte) {
	header(w, contentType, len(body))
	w.WriteHeader(status)
	_, _ = w.Write(body[:len(body)/2])
	_ = http.NewResponseController(w).Flush()
	Drop()
}

// Drop closes the connection without a further byte: the Drop fault. It
// does not return: it panics with http.ErrAbortHandler, which net/http
// takes as "close the connection" and does not log, so a handler's
// deferred calls (its request log) still run.
func Drop() { panic(http.ErrAbortHandler) }

func header(w http.ResponseWriter, contentType string, n int) {
	if contentType == "" {
		contentType = ContentTypeJSON
	}
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Content-Length", strconv.Itoa(n))
}
