// Package sameorigin keeps an API client's credentials on the API: it
// wraps an http.Client so that it talks to one origin only — the scheme,
// host and port of the configured base URL — and refuses redirects and
// requests to any other, with an error that says so.
//
// Go's http.Client alone does not do this. It drops Authorization on a
// redirect only when the header was set on the caller's request and the
// new host name is neither the old one nor a subdomain of it, ignoring
// scheme and port; a header that a transport adds (as go-github's
// WithAuthToken does) goes to whatever host the redirect names. So the
// guard is in two places: CheckRedirect refuses a redirect before the next
// request is made, and the transport refuses any request for another
// origin, which covers what bypasses CheckRedirect (go-github follows some
// 301s itself, by calling the transport).
package sameorigin

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// Origin is where credentials may go: a scheme, host and port. The zero
// value matches no URL.
type Origin struct {
	scheme, host, port string
}

// Of returns the origin of u: its scheme and host name lowercased, and its
// port, the scheme's default when u names none, so that
// https://API.github.com and https://api.github.com:443 are one origin.
func Of(u *url.URL) Origin {
	scheme := strings.ToLower(u.Scheme)
	port := u.Port()
	if port == "" {
		switch scheme {
		case "https":
			port = "443"
		case "http":
			port = "80"
		}
	}
	return Origin{scheme: scheme, host: strings.ToLower(u.Hostname()), port: port}
}

// String renders the origin as a URL, scheme://host[:port], leaving the
// port out when it is the scheme's default.
func (o Origin) String() string {
	host := o.host
	if strings.Contains(host, ":") {
		host = "[" + host + "]" // an IPv6 address
	}
	if (o.scheme == "https" && o.port == "443") || (o.scheme == "http" && o.port == "80") || o.port == "" {
		return o.scheme + "://" + host
	}
	return o.scheme + "://" + host + ":" + o.port
}

// contains reports whether u is on the origin.
func (o Origin) contains(u *url.URL) bool {
	return o.host != "" && Of(u) == o
}

// Error is a request or a redirect refused because it would leave the
// origin. Its message names the URLs without their query, user or
// fragment, and never a header, so it cannot carry the credentials.
type Error struct {
	// Method and URL are the request asked for (the first of a redirect
	// chain).
	Method, URL string
	// Target is where a redirect pointed; "" when the request itself was
	// for another origin.
	Target string
	// Origin is where credentials are sent.
	Origin Origin
}

func (e *Error) Error() string {
	if e.Target != "" {
		return fmt.Sprintf("%s %s: refused a redirect to another host (%s): credentials are sent only to %s", e.Method, e.URL, e.Target, e.Origin)
	}
	return fmt.Sprintf("%s %s: refused a request to another host: credentials are sent only to %s", e.Method, e.URL, e.Origin)
}

// Guard returns a copy of hc (nil: a zero http.Client) that talks to
// origin only:
//
//   - its CheckRedirect refuses a redirect to another origin with an
//     *Error, and otherwise defers to hc.CheckRedirect (nil: Go's limit of
//     10 redirects);
//   - its transport, around hc.Transport (nil: http.DefaultTransport),
//     refuses a request for another origin with an *Error, and sets
//     Authorization to authorization on every request for origin when
//     authorization is not "". An API client that sets the header itself
//     (go-pagerduty) passes "".
//
// The transport is the guarantee: CheckRedirect can be replaced (go-github
// does so for some downloads) or bypassed, the transport cannot.
func Guard(hc *http.Client, origin Origin, authorization string) *http.Client {
	var c http.Client
	if hc != nil {
		c = *hc
	}
	next := c.Transport
	if next == nil {
		next = http.DefaultTransport
	}
	c.Transport = &transport{origin: origin, authorization: authorization, next: next}
	c.CheckRedirect = checkRedirect(origin, c.CheckRedirect)
	return &c
}

// maxRedirects is http.Client's own limit, which a CheckRedirect of ours
// replaces and so must keep.
const maxRedirects = 10

// checkRedirect refuses redirects off origin, then asks next.
func checkRedirect(origin Origin, next func(*http.Request, []*http.Request) error) func(*http.Request, []*http.Request) error {
	return func(req *http.Request, via []*http.Request) error {
		if !origin.contains(req.URL) {
			return &Error{Method: via[0].Method, URL: redacted(via[0].URL), Target: redacted(req.URL), Origin: origin}
		}
		if next != nil {
			return next(req, via)
		}
		if len(via) >= maxRedirects {
			return fmt.Errorf("stopped after %d redirects", maxRedirects)
		}
		return nil
	}
}

// transport refuses requests off origin and authorizes those on it.
type transport struct {
	origin        Origin
	authorization string
	next          http.RoundTripper
}

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if !t.origin.contains(req.URL) {
		if req.Body != nil {
			req.Body.Close() // a RoundTripper must close it, even on error
		}
		// A redirect hop that got past CheckRedirect knows the request
		// that was redirected.
		if prev := req.Response; prev != nil && prev.Request != nil {
			return nil, &Error{Method: prev.Request.Method, URL: redacted(prev.Request.URL), Target: redacted(req.URL), Origin: t.origin}
		}
		return nil, &Error{Method: req.Method, URL: redacted(req.URL), Origin: t.origin}
	}
	if t.authorization != "" {
		// A RoundTripper must not change the caller's request.
		req = req.Clone(req.Context())
		req.Header.Set("Authorization", t.authorization)
	}
	return t.next.RoundTrip(req)
}

// redacted is u without its user, query and fragment: an error may be
// logged, and a query can hold anything.
func redacted(u *url.URL) string {
	c := *u
	c.User, c.RawQuery, c.ForceQuery, c.Fragment, c.RawFragment = nil, "", false, "", ""
	return c.String()
}
