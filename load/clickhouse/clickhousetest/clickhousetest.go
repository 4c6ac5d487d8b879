// Package clickhousetest gives tests a real ClickHouse on every engine
// doraflow supports: each test that touches storage runs once per engine
// named by the DORAFLOW_TEST_CLICKHOUSE environment variable (which
// `make test` sets after starting them), as a subtest named for the engine,
// so a failure on one engine says which. Each call to New makes a fresh,
// migrated database and drops it when the test ends, so tests run in
// parallel and leave nothing behind.
//
//	func TestSomething(t *testing.T) {
//		t.Parallel()
//		clickhousetest.Run(t, func(t *testing.T) {
//			s := clickhousetest.New(t)
//			…
//		})
//	}
package clickhousetest

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"doraflow/load/clickhouse"

	ch "github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// EnvAddr names the environment variable with the engines: a
// comma-separated list of NAME=PROTOCOL://HOST:PORT, such as
// "18.16=native://127.0.0.1:19000,26.5-chdb=http://127.0.0.1:19050".
// A bare HOST:PORT is one engine, "native", over the native protocol.
const EnvAddr = "DORAFLOW_TEST_CLICKHOUSE"

// Engine is one ClickHouse the tests run on.
type Engine struct {
	// Name is how subtests and failures name the engine.
	Name     string
	Addr     string
	Protocol clickhouse.Protocol
}

var seq atomic.Int64

// ParseEngines reads a value of EnvAddr.
func ParseEngines(v string) ([]Engine, error) {
	var out []Engine
	seen := map[string]bool{}
	for _, item := range strings.Split(v, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		e := Engine{Name: "native", Addr: item, Protocol: clickhouse.Native}
		if name, rest, ok := strings.Cut(item, "="); ok {
			proto, addr, ok := strings.Cut(rest, "://")
			if !ok || name == "" || addr == "" || (proto != string(clickhouse.Native) && proto != string(clickhouse.HTTP)) {
				return nil, fmt.Errorf("%s: %q: use NAME=native://HOST:PORT or NAME=http://HOST:PORT", EnvAddr, item)
			}
			e = Engine{Name: name, Addr: addr, Protocol: clickhouse.Protocol(proto)}
		}
		if seen[e.Name] {
			return nil, fmt.Errorf("%s: engine %q named twice", EnvAddr, e.Name)
		}
		seen[e.Name] = true
		out = append(out, e)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s names no engine", EnvAddr)
	}
	return out, nil
}

// Engines returns the engines to test on, failing the test with a hint
// when none is set: tests that need ClickHouse never skip silently.
func Engines(t testing.TB) []Engine {
	t.Helper()
	v := os.Getenv(EnvAddr)
	if v == "" {
		t.Fatalf("%s is not set: this test needs a real ClickHouse; run it with `make test`, which starts one", EnvAddr)
	}
	engines, err := ParseEngines(v)
	if err != nil {
		t.Fatal(err)
	}
	return engines
}

// running maps the name of each subtest that Run started to its engine,
// so that New and Options, called anywhere inside it, find the engine
// without every helper between them passing it along.
var running sync.Map // test name -> Engine

// Run runs fn once per engine, each as a subtest named for the engine.
// Inside it (and its own subtests), New, Options and Of use that engine.
func Run(t *testing.T, fn func(t *testing.T)) {
	t.Helper()
	for _, e := range Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			running.Store(t.Name(), e)
			t.Cleanup(func() { running.Delete(t.Name()) })
			fn(t)
		})
	}
}

// Of returns the engine of the Run subtest that t is, or is inside.
func Of(t testing.TB) Engine {
	t.Helper()
	name := t.Name()
	for {
		if e, ok := running.Load(name); ok {
			return e.(Engine)
		}
		i := strings.LastIndex(name, "/")
		if i < 0 {
			t.Fatalf("%s is not inside clickhousetest.Run: wrap the test's body in clickhousetest.Run(t, func(t *testing.T) { … }) so it runs on every engine", t.Name())
		}
		name = name[:i]
	}
}

// Options returns store options for a fresh database name on t's engine;
// the database is dropped when the test ends.
func Options(t testing.TB) clickhouse.Options {
	t.Helper()
	e := Of(t)
	name := fmt.Sprintf("t_%s_%d_%d", sanitize(t.Name()), time.Now().UnixNano()%1e9, seq.Add(1))
	opts := e.options(name)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		s, err := clickhouse.Open(ctx, e.options("default"))
		if err != nil {
			t.Logf("drop test database %s on %s: %v", name, e.Name, err)
			return
		}
		defer s.Close()
		if err := s.DropDatabase(ctx, name); err != nil {
			t.Logf("drop test database %s on %s: %v", name, e.Name, err)
		}
	})
	return opts
}

func (e Engine) options(database string) clickhouse.Options {
	return clickhouse.Options{Addr: []string{e.Addr}, Database: database, Username: "default", Protocol: e.Protocol}
}

// New opens a store on a fresh, migrated database on t's engine.
func New(t testing.TB) *clickhouse.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := clickhouse.Open(ctx, Options(t))
	if err != nil {
		t.Fatalf("open test ClickHouse (%s): %v", Of(t).Name, err)
	}
	t.Cleanup(func() { s.Close() })
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatalf("migrate test database (%s): %v", Of(t).Name, err)
	}
	return s
}

// Conn opens a plain clickhouse-go connection to the database of opts,
// for tests that look at tables directly; it is closed when the test ends.
func Conn(t testing.TB, opts clickhouse.Options) driver.Conn {
	t.Helper()
	protocol := ch.Native
	if opts.Protocol == clickhouse.HTTP {
		protocol = ch.HTTP
	}
	conn, err := ch.Open(&ch.Options{
		Addr:     opts.Addr,
		Protocol: protocol,
		Auth:     ch.Auth{Database: opts.Database, Username: opts.Username, Password: opts.Password},
	})
	if err != nil {
		t.Fatalf("connect to test ClickHouse: %v", err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

func sanitize(name string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(name) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	s := b.String()
	if len(s) > 40 {
		s = s[:40]
	}
	return s
}

// EnvTLS names the environment variable with the TLS endpoints of the
// test servers: "native=HOST:PORT,https=HOST:PORT,old_https=HOST:PORT,
// ca=PEMFILE": a native TLS port, an HTTPS port, the HTTPS port of a
// server too old for clickhouse-go's HTTP transport, and the throwaway CA
// that signs them all.
const EnvTLS = "DORAFLOW_TEST_CLICKHOUSE_TLS"

// TLSEndpoints are the test servers' TLS ports and the CA that signs
// their certificates (for localhost and 127.0.0.1).
type TLSEndpoints struct {
	Native, HTTPS, OldHTTPS, CAFile string
}

// TLS returns the TLS endpoints, failing the test when EnvTLS is unset.
func TLS(t testing.TB) TLSEndpoints {
	t.Helper()
	v := os.Getenv(EnvTLS)
	if v == "" {
		t.Fatalf("%s is not set: this test needs ClickHouse servers with TLS; run it with `make test`, which starts them", EnvTLS)
	}
	var e TLSEndpoints
	for _, kv := range strings.Split(v, ",") {
		k, val, _ := strings.Cut(strings.TrimSpace(kv), "=")
		switch k {
		case "native":
			e.Native = val
		case "https":
			e.HTTPS = val
		case "old_https":
			e.OldHTTPS = val
		case "ca":
			e.CAFile = val
		default:
			t.Fatalf("%s: unknown key %q in %q: use native=, https=, old_https= and ca=", EnvTLS, k, v)
		}
	}
	if e.Native == "" || e.HTTPS == "" || e.OldHTTPS == "" || e.CAFile == "" {
		t.Fatalf("%s=%q: give native=HOST:PORT,https=HOST:PORT,old_https=HOST:PORT,ca=PEMFILE", EnvTLS, v)
	}
	return e
}
