package fakeapi

import (
	"net/http"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"
)

func TestFaultDescribesItself(t *testing.T) {
	tests := []struct {
		f           Fault
		zero, fails bool
		str         string
	}{
		{Fault{}, true, false, "none"},
		{Fault{Delay: 2 * time.Second}, false, false, "delay 2s"},
		{Fault{Status: 503}, false, true, "503"},
		{Fault{Drop: true}, false, true, "drop"},
		{Fault{Truncate: true}, false, true, "truncate"},
		{Fault{Delay: time.Second, Status: 502}, false, true, "delay 1s, 502"},
	}
	for _, tt := range tests {
		if got := tt.f.IsZero(); got != tt.zero {
			t.Errorf("%+v.IsZero() = %v", tt.f, got)
		}
		if got := tt.f.Fails(); got != tt.fails {
			t.Errorf("%+v.Fails() = %v", tt.f, got)
		}
		if got := tt.f.String(); got != tt.str {
			t.Errorf("%+v.String() = %q, want %q", tt.f, got, tt.str)
		}
	}
}

func TestFaultSchedules(t *testing.T) {
	r, _ := http.NewRequest(http.MethodGet, "http://x/incidents", nil)
	other, _ := http.NewRequest(http.MethodGet, "http://x/services", nil)
	boom := Fault{Status: 500}
	var q Queue
	q.Add(boom, 2)
	tests := []struct {
		name string
		p    Policy
		req  *http.Request
		want []int64
	}{
		{"FailAt", FailAt(boom, 2, 5), r, []int64{2, 5}},
		{"FailEvery", FailEvery(3, boom), r, []int64{3, 6, 9}},
		{"FailEvery 0", FailEvery(0, boom), r, nil},
		{"ForPath matches", ForPath("/incidents", FailEvery(5, boom)), r, []int64{5, 10}},
		{"ForPath other path", ForPath("/incidents", FailEvery(5, boom)), other, nil},
		{"First wins", First(nil, FailAt(boom, 1), FailAt(boom, 4)), r, []int64{1, 4}},
		{"FailRate 0", FailRate(1, 0, boom), r, nil},
		{"FailRate 1", FailRate(1, 1, boom), r, []int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}},
		{"FailRatePerURL 0", FailRatePerURL(1, 0, boom), r, nil},
		{"FailRatePerURL no faults", FailRatePerURL(1, 1), r, nil},
		{"Queue", q.Next, r, []int64{1, 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []int64
			for seq := int64(1); seq <= 10; seq++ {
				if !tt.p(seq, tt.req).IsZero() {
					got = append(got, seq)
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("failed %v, want %v", got, tt.want)
			}
		})
	}

	t.Run("FailRate is deterministic and near its rate", func(t *testing.T) {
		a := FailRate(9, 0.1, boom)
		b := FailRate(9, 0.1, boom)
		n := 0
		for seq := int64(1); seq <= 10_000; seq++ {
			fa, fb := a(seq, r), b(seq, r)
			if fa != fb {
				t.Fatalf("seq %d: %v vs %v", seq, fa, fb)
			}
			if !fa.IsZero() {
				n++
			}
		}
		if n < 800 || n > 1200 {
			t.Errorf("%d of 10000 failed at rate 0.1", n)
		}
	})
}

// TestFailRatePerURL asks the same URLs of two policies with the same seed,
// in different orders and from several goroutines: each URL's nth ask
// gets the same fault from both, whatever the order.
func TestFailRatePerURL(t *testing.T) {
	faults := []Fault{{Status: 502}, {Status: 503}, {Truncate: true}}
	const urls, asks = 200, 3
	req := func(i int) *http.Request {
		r, _ := http.NewRequest(http.MethodGet, "http://x/repos/acme/api/pulls?page="+strconv.Itoa(i), nil)
		return r
	}
	// outcomes[url][ask] is the fault the ask got.
	run := func(p Policy, reverse bool) [][]Fault {
		out := make([][]Fault, urls)
		var wg sync.WaitGroup
		for i := range urls {
			wg.Go(func() {
				u := i
				if reverse {
					u = urls - 1 - i
				}
				for range asks {
					out[u] = append(out[u], p(0, req(u)))
				}
			})
		}
		wg.Wait()
		return out
	}
	a := run(FailRatePerURL(7, 0.3, faults...), false)
	b := run(FailRatePerURL(7, 0.3, faults...), true)
	kinds := map[Fault]int{}
	failed, retried := 0, 0
	for u := range urls {
		if !slices.Equal(a[u], b[u]) {
			t.Fatalf("url %d: %v, then %v", u, a[u], b[u])
		}
		for k, f := range a[u] {
			if !f.IsZero() {
				failed++
				kinds[f]++
				if k+1 < asks && a[u][k+1].IsZero() {
					retried++
				}
			}
		}
	}
	if n := urls * asks; failed < n/5 || failed > n*2/5 {
		t.Errorf("%d of %d asks failed at rate 0.3", failed, n)
	}
	if len(kinds) != len(faults) {
		t.Errorf("faults drawn %v, want all of %v", kinds, faults)
	}
	if retried == 0 {
		t.Error("no failed ask succeeded when asked again")
	}
	c := run(FailRatePerURL(8, 0.3, faults...), false)
	if slices.EqualFunc(a, c, slices.Equal) {
		t.Error("seeds 7 and 8 failed the same asks")
	}
}

func TestQueueComesFirst(t *testing.T) {
	r, _ := http.NewRequest(http.MethodGet, "http://x/", nil)
	var q Queue
	p := First(q.Next, FailEvery(1, Fault{Status: 503}))
	q.Add(Fault{Drop: true}, 1)
	q.Add(Fault{Status: 502}, 2)
	var got []Fault
	for seq := range int64(4) {
		got = append(got, p(seq+1, r))
	}
	want := []Fault{{Drop: true}, {Status: 502}, {Status: 502}, {Status: 503}}
	if !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}
