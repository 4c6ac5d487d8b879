package config

import (
	"doraflow"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // timezone must validate on hosts without a zoneinfo database (scratch and distroless images)

	"github.com/robfig/cron/v3"
)

// Checks of single values. Each returns what is wrong and what to do, or ""
// when the value is fine; "" is accepted unless the check says otherwise,
// because an empty value means the default.

// oneOf accepts exactly the given values, not "": a key set to nothing is
// more likely a variable that came out empty than a wish for the default.
func oneOf(what string, values []string) check {
	return func(v string) string {
		if slices.Contains(values, v) {
			return ""
		}
		if s := suggest(v, values); s != "" {
			return fmt.Sprintf("invalid %s %q (did you mean %q?): use one of %s", what, v, s, strings.Join(values, ", "))
		}
		return fmt.Sprintf("invalid %s %q: use one of %s", what, v, strings.Join(values, ", "))
	}
}

// nonEmpty rejects "", for values that have no default to fall back on.
func nonEmpty(hint string) check {
	return func(v string) string {
		if v == "" {
			return "must not be empty: " + hint
		}
		return ""
	}
}

// identifier accepts names that are safe to interpolate into DDL unquoted.
func identifier(what string) check {
	return func(v string) string {
		if v != "" && !isIdentifier(v) {
			return fmt.Sprintf("invalid %s %q: use letters, digits and _, not starting with a digit (it is written into SQL statements)", what, v)
		}
		return ""
	}
}

// isIdentifier reports whether s is [A-Za-z_][A-Za-z0-9_]*, the names that
// SQL and shells alike take without quoting.
func isIdentifier(s string) bool {
	for i, r := range s {
		letter := r == '_' || ('a' <= r && r <= 'z') || ('A' <= r && r <= 'Z')
		if !letter && (i == 0 || r < '0' || r > '9') {
			return false
		}
	}
	return s != ""
}

// hostPort accepts host:port with a numeric port; the host may be left
// empty only when emptyHost is set (listening on every interface).
func hostPort(example string, emptyHost bool) check {
	return func(v string) string {
		if v == "" {
			return ""
		}
		host, port, err := net.SplitHostPort(v)
		n, perr := strconv.Atoi(port)
		if err != nil || perr != nil || n < 1 || n > 65535 || (host == "" && !emptyHost) {
			return fmt.Sprintf("invalid address %q: use host:port like %s", v, example)
		}
		return ""
	}
}

// baseURL accepts an absolute https URL without credentials, or an http
// one on a loopback host: the API token goes to this URL, and over plain
// http anyone on the way could read it. The fakes of tests and
// `doraflow demo` listen on http://127.0.0.1.
func baseURL(example string) check {
	return func(v string) string {
		if v == "" {
			return ""
		}
		u, err := url.Parse(v)
		switch {
		case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "":
			return fmt.Sprintf("invalid URL %q: use an absolute http(s) URL like %s", v, example)
		case u.User != nil:
			// Not quoted: the user part may hold a password.
			return "URL must not contain credentials: put the token in the token key"
		case u.Scheme == "http" && !isLoopback(u.Hostname()):
			return fmt.Sprintf("invalid URL %q: use https:// (plain http is allowed only for loopback addresses, for local fakes)", v)
		}
		return ""
	}
}

// isLoopback reports whether host is localhost or an address in 127.0.0.0/8
// or ::1, which never leave the machine. A name other than localhost is not
// resolved: what it resolves to can change after the check.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// timezone accepts the names time.LoadLocation knows; thanks to the tzdata
// import, the same ones on every host.
func timezone(v string) string {
	if _, err := time.LoadLocation(v); err != nil {
		return fmt.Sprintf("unknown time zone %q: use an IANA name like Europe/Berlin, America/New_York or UTC", v)
	}
	return ""
}

// cronSpec accepts what robfig/cron's standard parser takes: 5 fields or a
// descriptor.
func cronSpec(v string) string {
	if v == "" {
		return ""
	}
	if strings.HasPrefix(v, "TZ=") || strings.HasPrefix(v, "CRON_TZ=") {
		// The schedule runs in the config's timezone; a second zone in
		// the spec would contradict it (and a TZ= prefix without a
		// space makes the cron parser panic).
		return fmt.Sprintf("invalid cron %q: set the top-level timezone key instead of a TZ= prefix", v)
	}
	if _, err := cron.ParseStandard(v); err != nil {
		return fmt.Sprintf("invalid cron %q: %v; use 5 fields (minute hour day-of-month month day-of-week) like \"0 2 * * *\", or a descriptor like @daily", v, err)
	}
	return ""
}

// repository accepts owner/name where name may be a glob: owner/* lists the
// owner's repositories, while a glob owner would need a search of all of
// GitHub.
func repository(v string) string {
	owner, name, ok := strings.Cut(v, "/")
	switch {
	case !ok || owner == "" || name == "" || strings.Contains(name, "/"):
		return fmt.Sprintf("invalid repository %q: use owner/name, like acme/api, acme/api-* or acme/*", v)
	case strings.ContainsAny(owner, `*?[]\`):
		return fmt.Sprintf("invalid repository %q: the owner cannot be a pattern; list each owner, with owner/* for all of its repositories", v)
	}
	return doraflow.GlobCheck("repository pattern")(name)
}

// token rejects credentials that cannot go into an Authorization header,
// most often because a file read into a variable kept its newline. The
// value is never quoted.
func token(v string) string {
	if strings.IndexFunc(v, func(r rune) bool { return r <= ' ' || r == 0x7f }) >= 0 {
		return "token contains spaces or control characters (a trailing newline from a file?): remove them"
	}
	return ""
}
