package pagerdutyfake

import (
	"math"
	"net/http"
	"slices"
	"time"
)

// Fault is what the server does to one request instead of, or on top of,
// answering it normally. The zero Fault does nothing.
type Fault struct {
	// Delay waits this long before doing anything else. The wait ends early
	// when the client gives up (the request's context is done).
	Delay time.Duration
	// Drop closes the connection without sending a response: the client
	// sees EOF or "connection reset". It needs a real connection (Start, or
	// any http.Server), not an httptest.ResponseRecorder.
	Drop bool
	// Status answers with this status instead of serving the request: 500
	// with PagerDuty's JSON error (code 2000), 502/503/504 with an HTML page
	// as PagerDuty's edge sends, 408 with code 2016, anything else with a
	// JSON error of code 2000.
	Status int
	// Truncate serves the request normally but closes the connection after
	// half of the body, with the full Content-Length announced: the client
	// sees "unexpected EOF" while reading the body.
	Truncate bool
}

// IsZero reports whether f does nothing.
func (f Fault) IsZero() bool { return f == Fault{} }

// kind names the fault in the request log.
func (f Fault) kind() string {
	switch {
	case f.Drop:
		return "drop"
	case f.Status != 0:
		return "status"
	case f.Truncate:
		return "truncate"
	case f.Delay > 0:
		return "delay"
	}
	return ""
}

// FaultFunc decides the fault for a request: seq is the request's number on
// this server, from 1 (Server.Reset starts it again). It is called from the
// handler, possibly concurrently, and must not block.
type FaultFunc func(seq int64, r *http.Request) Fault

// FailAt injects f into the requests with the given sequence numbers.
func FailAt(f Fault, seqs ...int64) FaultFunc {
	set := slices.Clone(seqs)
	return func(seq int64, _ *http.Request) Fault {
		if slices.Contains(set, seq) {
			return f
		}
		return Fault{}
	}
}

// FailEvery injects f into every nth request: n, 2n, 3n, …
func FailEvery(n int64, f Fault) FaultFunc {
	return func(seq int64, _ *http.Request) Fault {
		if n > 0 && seq%n == 0 {
			return f
		}
		return Fault{}
	}
}

// FailRate injects f into a fraction p (0 … 1) of requests, chosen by a hash
// of seed and the sequence number: the same seed fails the same request
// numbers on every run, whatever the timing.
func FailRate(seed int64, p float64, f Fault) FaultFunc {
	threshold := uint64(math.Max(0, math.Min(1, p)) * float64(math.MaxUint64))
	if p >= 1 {
		threshold = math.MaxUint64
	}
	salt := splitmix64(uint64(seed))
	return func(seq int64, _ *http.Request) Fault {
		if p > 0 && splitmix64(uint64(seq)^salt) <= threshold {
			return f
		}
		return Fault{}
	}
}

// ForPath applies inner only to requests whose URL path is path (for
// example "/incidents"); other requests get no fault.
func ForPath(path string, inner FaultFunc) FaultFunc {
	return func(seq int64, r *http.Request) Fault {
		if r.URL.Path != path {
			return Fault{}
		}
		return inner(seq, r)
	}
}

// Faults combines several FaultFuncs: the first that returns a fault wins.
func Faults(fs ...FaultFunc) FaultFunc {
	fs = slices.Clone(fs)
	return func(seq int64, r *http.Request) Fault {
		for _, f := range fs {
			if f == nil {
				continue
			}
			if x := f(seq, r); !x.IsZero() {
				return x
			}
		}
		return Fault{}
	}
}
