package fakeapi

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestSleep(t *testing.T) {
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	closed := make(chan struct{})
	close(closed)
	tests := []struct {
		name  string
		ctx   context.Context
		d     time.Duration
		stop  chan struct{}
		whole bool
	}{
		{"elapses", context.Background(), time.Millisecond, nil, true},
		{"zero", context.Background(), 0, nil, true},
		{"zero, client gone", cancelled, 0, nil, false},
		{"client gone", cancelled, time.Hour, nil, false},
		{"server closing", context.Background(), time.Hour, closed, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			began := time.Now()
			if got := Sleep(tt.ctx, tt.d, tt.stop); got != tt.whole {
				t.Errorf("Sleep = %v, want %v", got, tt.whole)
			}
			if took := time.Since(began); took < tt.d && tt.whole || took > 10*time.Second {
				t.Errorf("took %s for %s", took, tt.d)
			}
		})
	}
}

// TestAnswers serves each way of answering and reads it with a client on
// a fresh connection.
func TestAnswers(t *testing.T) {
	body := []byte(`{"message":"Server Error"}`)
	tests := []struct {
		name    string
		answer  func(w http.ResponseWriter)
		status  int
		ctype   string
		body    string
		readErr error // what reading the body fails with
		noReply bool  // the request itself fails
	}{
		{"write", func(w http.ResponseWriter) { Write(w, 502, "", body) }, 502, ContentTypeJSON, string(body), nil, false},
		{"write html", func(w http.ResponseWriter) { Write(w, 503, "text/html", []byte("<h1>503</h1>")) }, 503, "text/html", "<h1>503</h1>", nil, false},
		{"cut", func(w http.ResponseWriter) { Cut(w, 200, "", body) }, 200, ContentTypeJSON, string(body[:len(body)/2]), io.ErrUnexpectedEOF, false},
		{"drop", func(http.ResponseWriter) { Drop() }, 0, "", "", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { tt.answer(w) }))
			defer srv.Close()
			client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
			res, err := client.Get(srv.URL)
			if tt.noReply {
				if err == nil {
					res.Body.Close()
					t.Fatalf("got %d, want no answer", res.StatusCode)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			got, err := io.ReadAll(res.Body)
			if !errors.Is(err, tt.readErr) {
				t.Errorf("reading the body: %v, want %v", err, tt.readErr)
			}
			if res.StatusCode != tt.status || res.Header.Get("Content-Type") != tt.ctype || !strings.HasPrefix(string(got), tt.body) || len(got) != len(tt.body) {
				t.Errorf("got %d %q %q, want %d %q %q", res.StatusCode, res.Header.Get("Content-Type"), got, tt.status, tt.ctype, tt.body)
			}
			if res.ContentLength != int64(len(body)) && tt.readErr != nil {
				t.Errorf("Content-Length %d, want the whole body's %d", res.ContentLength, len(body))
			}
		})
	}
}
