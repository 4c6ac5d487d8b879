package fakeapi

import (
	"encoding/binary"
	"hash/fnv"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Fault is what a fake does to one request instead of, or before,
// answering it. The zero Fault does nothing.
type Fault struct {
	// Delay holds the request this long before anything else happens.
	// The wait ends early when the client gives up.
	Delay time.Duration
	// Status answers with this status instead of serving the request; the
	// fake writes its service's error document for it (a 502, a 503 …).
	Status int
	// Drop closes the connection without an answer: the client sees EOF
	// or a reset. Go's http.Transport silently retries an idempotent
	// request that fails so on a reused keep-alive connection.
	Drop bool
	// Truncate sends the headers and half of a body, with the whole
	// length announced, then closes the connection: the client sees an
	// unexpected EOF while reading. Bytes are on the wire, so net/http
	// does not retry it.
	Truncate bool
}

// IsZero reports whether f does nothing.
func (f Fault) IsZero() bool { return f == Fault{} }

// Fails reports whether the client gets no proper answer: a status, a
// dropped connection or a cut body, as opposed to only a delay.
func (f Fault) Fails() bool { return f.Status != 0 || f.Drop || f.Truncate }

// String describes the fault for logs and test output: "503", "drop",
// "truncate", "delay 2s", "delay 2s, 503", or "none".
func (f Fault) String() string {
	var parts []string
	if f.Delay > 0 {
		parts = append(parts, "delay "+f.Delay.String())
	}
	if f.Status != 0 {
		parts = append(parts, strconv.Itoa(f.Status))
	}
	if f.Drop {
		parts = append(parts, "drop")
	}
	if f.Truncate {
		parts = append(parts, "truncate")
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

// Policy picks the fault for a request; seq numbers a server's requests
// from 1 in order of arrival. Servers call it concurrently, so it must be
// safe for that and must not block. A nil Policy injects nothing.
type Policy func(seq int64, r *http.Request) Fault

// FailAt injects f into the requests with the given sequence numbers.
func FailAt(f Fault, seqs ...int64) Policy {
	seqs = slices.Clone(seqs)
	return func(seq int64, _ *http.Request) Fault {
		if slices.Contains(seqs, seq) {
			return f
		}
		return Fault{}
	}
}

// FailEvery injects f into every nth request: n, 2n, 3n, …
func FailEvery(n int64, f Fault) Policy {
	return func(seq int64, _ *http.Request) Fault {
		if n > 0 && seq%n == 0 {
			return f
		}
		return Fault{}
	}
}

// FailRate injects f into a share p (0 to 1) of requests, chosen by a hash
// of seed and the sequence number: the same seed fails the same request
// numbers on every run. With concurrent clients the numbers go to
// different requests from run to run; FailRatePerURL does not.
func FailRate(seed int64, p float64, f Fault) Policy {
	threshold := uint64(math.Max(0, math.Min(1, p)) * float64(math.MaxUint64))
	if p >= 1 {
		threshold = math.MaxUint64
	}
	salt := SplitMix64(uint64(seed))
	return func(seq int64, _ *http.Request) Fault {
		if p > 0 && SplitMix64(uint64(seq)^salt) <= threshold {
			return f
		}
		return Fault{}
	}
}

// FailRatePerURL injects one of faults into a share p (0 to 1) of
// requests. The draw is a hash of seed, the method, the URL and how many
// times the URL was asked before, so the same requests fail on every run
// whatever the interleaving of concurrent requests, and a retry is a new
// draw. It counts the asks per URL: give each server its own.
func FailRatePerURL(seed int64, p float64, faults ...Fault) Policy {
	if p <= 0 || len(faults) == 0 {
		return func(int64, *http.Request) Fault { return Fault{} }
	}
	faults = slices.Clone(faults)
	var mu sync.Mutex
	asked := map[string]uint64{}
	return func(_ int64, r *http.Request) Fault {
		key := r.Method + " " + r.URL.RequestURI()
		mu.Lock()
		attempt := asked[key]
		asked[key]++
		mu.Unlock()
		var b [16]byte
		binary.LittleEndian.PutUint64(b[:8], uint64(seed))
		binary.LittleEndian.PutUint64(b[8:], attempt)
		h := fnv.New64a()
		h.Write(b[:])
		h.Write([]byte(key))
		// FNV alone leaves the high bits of similar URLs correlated.
		x := Mix64(h.Sum64())
		if float64(x>>11)/(1<<53) >= p {
			return Fault{}
		}
		return faults[Mix64(x)%uint64(len(faults))]
	}
}

// ForPath applies inner only to requests whose URL path is path (for
// example "/incidents"); other requests get no fault.
func ForPath(path string, inner Policy) Policy {
	return func(seq int64, r *http.Request) Fault {
		if r.URL.Path != path || inner == nil {
			return Fault{}
		}
		return inner(seq, r)
	}
}

// First combines policies: the first that returns a fault wins, and the
// ones after it are not asked. Nil policies are skipped.
func First(policies ...Policy) Policy {
	policies = slices.Clone(policies)
	return func(seq int64, r *http.Request) Fault {
		for _, p := range policies {
			if p == nil {
				continue
			}
			if f := p(seq, r); !f.IsZero() {
				return f
			}
		}
		return Fault{}
	}
}

// Queue holds faults for the next requests, so a test can fail requests
// of a server that is already running. Its Next method is a Policy. The
// zero value is empty and ready; it is safe for concurrent use.
type Queue struct {
	mu     sync.Mutex
	faults []Fault
}

// Add queues f for the next n requests.
func (q *Queue) Add(f Fault, n int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for range n {
		q.faults = append(q.faults, f)
	}
}

// Next takes the first queued fault, if any; it is a Policy.
func (q *Queue) Next(int64, *http.Request) Fault {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.faults) == 0 {
		return Fault{}
	}
	f := q.faults[0]
	q.faults = q.faults[1:]
	return f
}
