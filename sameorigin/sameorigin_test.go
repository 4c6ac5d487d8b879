package sameorigin

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

func mustParse(t *testing.T, raw string) *url.URL {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestOrigin(t *testing.T) {
	tests := []struct {
		base, other string
		same        bool
		str         string // the base's origin as String renders it
	}{
		{"https://api.github.com/", "https://api.github.com/repos/a/b?page=2", true, "https://api.github.com"},
		{"https://api.github.com/", "HTTPS://API.GitHub.com:443/x", true, "https://api.github.com"},
		{"https://ghe.example.com/api/v3/", "https://ghe.example.com/api/v3/repos/a/b", true, "https://ghe.example.com"},
		{"http://127.0.0.1:8080", "http://127.0.0.1:8080/incidents", true, "http://127.0.0.1:8080"},
		{"http://[::1]:80/", "http://[::1]/x", true, "http://[::1]"},
		{"https://api.github.com/", "http://api.github.com/", false, "https://api.github.com"},
		{"https://api.github.com/", "https://api.github.com:8443/", false, "https://api.github.com"},
		{"https://api.github.com/", "https://evil.api.github.com/", false, "https://api.github.com"},
		{"https://api.github.com/", "https://github.com/", false, "https://api.github.com"},
		{"http://127.0.0.1:8080", "http://127.0.0.1:8081", false, "http://127.0.0.1:8080"},
		{"http://127.0.0.1:8080", "http://localhost:8080", false, "http://127.0.0.1:8080"},
	}
	for _, tt := range tests {
		t.Run(tt.base+" "+tt.other, func(t *testing.T) {
			o := Of(mustParse(t, tt.base))
			if got := o.contains(mustParse(t, tt.other)); got != tt.same {
				t.Errorf("contains = %v, want %v", got, tt.same)
			}
			if o.String() != tt.str {
				t.Errorf("String = %q, want %q", o, tt.str)
			}
		})
	}
	if (Origin{}).contains(mustParse(t, "http://x/")) {
		t.Error("the zero Origin contains a URL")
	}
}

// recorder is a server that records the Authorization header of each
// request, "" for none.
type recorder struct {
	*httptest.Server
	mu   sync.Mutex
	auth []string
}

func newRecorder(t *testing.T, h http.HandlerFunc) *recorder {
	t.Helper()
	r := &recorder{}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.mu.Lock()
		r.auth = append(r.auth, req.Header.Get("Authorization"))
		r.mu.Unlock()
		if h != nil {
			h(w, req)
		}
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *recorder) seen() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.auth...)
}

const secret = "Bearer s3cret-TOKEN"

func TestGuard(t *testing.T) {
	tests := []struct {
		name string
		// path is asked of the API server, which redirects /here to /there
		// on itself and /away to the other server.
		path string
		// auth is Guard's authorization; header what the caller's request
		// carries.
		auth, header string
		// edit adjusts the guarded client, as go-github does for downloads.
		edit func(*http.Client)
		// wantAPI is the Authorization header of each request the API
		// server received.
		wantAPI []string
		wantErr string // "" for success
	}{
		{name: "authorized on the origin", path: "/there", auth: secret, wantAPI: []string{secret}},
		{name: "a redirect within the origin keeps the transport's header", path: "/here", auth: secret, wantAPI: []string{secret, secret}},
		{name: "a redirect within the origin keeps the caller's header", path: "/here", header: secret, wantAPI: []string{secret, secret}},
		{name: "a redirect to another port is refused", path: "/away", auth: secret, wantAPI: []string{secret},
			wantErr: "GET API/away: refused a redirect to another host (OTHER/stolen): credentials are sent only to API"},
		{name: "the caller's header does not follow to another port", path: "/away", header: secret, wantAPI: []string{secret},
			wantErr: "refused a redirect to another host (OTHER/stolen)"},
		{name: "the transport refuses a hop when CheckRedirect lets it through", path: "/away", auth: secret, wantAPI: []string{secret},
			edit:    func(c *http.Client) { c.CheckRedirect = func(*http.Request, []*http.Request) error { return nil } },
			wantErr: "GET API/away: refused a redirect to another host (OTHER/stolen): credentials are sent only to API"},
		{name: "a request for another origin is refused", path: "OTHER/direct?token=x", auth: secret,
			wantErr: "GET OTHER/direct: refused a request to another host: credentials are sent only to API"},
		{name: "no authorization, no header", path: "/there", wantAPI: []string{""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			other := newRecorder(t, nil)
			api := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
				switch r.URL.Path {
				case "/here":
					http.Redirect(w, r, "/there", http.StatusFound)
				case "/away":
					http.Redirect(w, r, other.URL+"/stolen?sig=abc", http.StatusFound)
				}
			})
			c := Guard(nil, Of(mustParse(t, api.URL)), tt.auth)
			if tt.edit != nil {
				tt.edit(c)
			}
			target := strings.Replace(tt.path, "OTHER", other.URL, 1)
			if strings.HasPrefix(target, "/") {
				target = api.URL + target
			}
			req, err := http.NewRequest(http.MethodGet, target, nil)
			if err != nil {
				t.Fatal(err)
			}
			if tt.header != "" {
				req.Header.Set("Authorization", tt.header)
			}
			resp, err := c.Do(req)
			if resp != nil {
				resp.Body.Close()
			}
			if n := len(other.seen()); n != 0 {
				t.Errorf("the other server received %d requests (Authorization %q), want none", n, other.seen())
			}
			if got := api.seen(); strings.Join(got, ",") != strings.Join(tt.wantAPI, ",") {
				t.Errorf("the API server saw Authorization %q, want %q", got, tt.wantAPI)
			}
			want := strings.NewReplacer("API", api.URL, "OTHER", other.URL).Replace(tt.wantErr)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("Do: %v", err)
			case tt.wantErr == "":
				return
			case err == nil:
				t.Fatalf("Do succeeded, want an error saying %q", want)
			}
			var refused *Error
			if !errors.As(err, &refused) || !strings.Contains(refused.Error(), want) {
				t.Errorf("error %q, want a *sameorigin.Error saying %q", err, want)
			}
			for _, leak := range []string{"s3cret", "sig=abc", "token=x"} {
				if refused != nil && strings.Contains(refused.Error(), leak) {
					t.Errorf("error %q shows %q", refused, leak)
				}
			}
		})
	}
}

// TestGuardKeepsTheClient: Guard leaves the given client alone, keeps its
// other settings and asks its CheckRedirect after its own check, and
// without one keeps Go's limit of 10 redirects.
func TestGuardKeepsTheClient(t *testing.T) {
	loop := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/loop", http.StatusFound)
	})
	origin := Of(mustParse(t, loop.URL))
	tests := []struct {
		name     string
		check    func(*http.Request, []*http.Request) error
		wantErr  string
		wantReqs int
	}{
		{"Go's limit", nil, "stopped after 10 redirects", 10},
		{"the client's own policy", func(_ *http.Request, via []*http.Request) error {
			if len(via) >= 2 {
				return errors.New("two are enough")
			}
			return nil
		}, "two are enough", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(loop.seen())
			hc := &http.Client{CheckRedirect: tt.check, Timeout: time.Minute}
			c := Guard(hc, origin, "")
			if hc.Transport != nil || (hc.CheckRedirect == nil) != (tt.check == nil) {
				t.Error("Guard changed the client it was given")
			}
			if c.Timeout != time.Minute {
				t.Errorf("Timeout %s, want the given client's", c.Timeout)
			}
			resp, err := c.Get(loop.URL + "/loop")
			if resp != nil {
				resp.Body.Close()
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %v, want one saying %q", err, tt.wantErr)
			}
			if n := len(loop.seen()) - before; n != tt.wantReqs {
				t.Errorf("%d requests, want %d", n, tt.wantReqs)
			}
		})
	}
}
