package chdbfront

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	chproto "github.com/ClickHouse/ch-go/proto"
	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/ClickHouse/clickhouse-go/v2/lib/proto"
)

// testEngine is the package's one engine: chDB allows one per process.
// nil when CHDB_LIB_PATH is unset.
var testEngine *Engine

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	lib := os.Getenv("CHDB_LIB_PATH")
	if lib == "" {
		fmt.Fprintln(os.Stderr, "chdbfront: CHDB_LIB_PATH is not set: skipping the tests that need libchdb (scripts/chdb.sh fetch)")
		return m.Run() // those tests skip, saying why
	}
	dir, err := os.MkdirTemp("", "chdbfront-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	testEngine, err = Open(lib, dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "chdbfront tests:", err)
		return 1
	}
	defer testEngine.Close()
	return m.Run()
}

// engine returns the package's engine, or skips the test when there is
// none.
func engine(t *testing.T) *Engine {
	t.Helper()
	if testEngine == nil {
		t.Skip("CHDB_LIB_PATH is not set: set it to libchdb.so (scripts/chdb.sh fetch; make test sets it)")
	}
	return testEngine
}

// transports are the ways a test reaches the front.
var transports = []string{"http", "https"}

// serve starts the front over transport ("http" or "https").
func serve(t *testing.T, transport string) *httptest.Server {
	t.Helper()
	h := Handler(engine(t))
	var srv *httptest.Server
	if transport == "https" {
		srv = httptest.NewTLSServer(h)
	} else {
		srv = httptest.NewServer(h)
	}
	t.Cleanup(srv.Close)
	return srv
}

// connect opens a clickhouse-go HTTP connection to srv in database.
func connect(t *testing.T, srv *httptest.Server, database string, settings clickhouse.Settings) driver.Conn {
	t.Helper()
	conn, err := open(srv, database, settings)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { conn.Close() })
	if err := conn.Ping(t.Context()); err != nil {
		t.Fatalf("ping: %v", err)
	}
	return conn
}

func open(srv *httptest.Server, database string, settings clickhouse.Settings) (driver.Conn, error) {
	return openCompressed(srv, database, settings, nil)
}

func openCompressed(srv *httptest.Server, database string, settings clickhouse.Settings, compression *clickhouse.Compression) (driver.Conn, error) {
	u, err := url.Parse(srv.URL)
	if err != nil {
		return nil, err
	}
	opts := &clickhouse.Options{
		Protocol:    clickhouse.HTTP,
		Addr:        []string{u.Host},
		Auth:        clickhouse.Auth{Database: database, Username: "default", Password: "secret"},
		Settings:    settings,
		Compression: compression,
	}
	if srv.TLS != nil {
		roots := x509.NewCertPool()
		roots.AddCert(srv.Certificate())
		opts.TLS = &tls.Config{RootCAs: roots}
	}
	return clickhouse.Open(opts)
}

// createDatabase creates a database named after the test, dropped at the
// end.
func createDatabase(t *testing.T, conn driver.Conn) string {
	t.Helper()
	name := "t_" + strings.ToLower(regexp.MustCompile(`[^A-Za-z0-9]+`).ReplaceAllString(t.Name(), "_"))
	exec(t, conn, "DROP DATABASE IF EXISTS "+name)
	exec(t, conn, "CREATE DATABASE "+name)
	t.Cleanup(func() { conn.Exec(context.Background(), "DROP DATABASE IF EXISTS "+name) })
	return name
}

func exec(t *testing.T, conn driver.Conn, query string) {
	t.Helper()
	if err := conn.Exec(t.Context(), query); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

// event is a row of the round-trip table.
type event struct {
	At      time.Time
	Name    string
	N       uint64
	Tags    []string
	Kind    string
	Done    *time.Time
	Delta   int64
	Flag    uint8
	Score   float64
	Version uint64
}

func TestRoundTrip(t *testing.T) {
	done := time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)
	rows := []event{
		{At: time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC), Name: "plain", N: 1, Tags: []string{"a", "b"}, Kind: "deploy", Done: &done, Delta: -5, Flag: 1, Score: 0.25, Version: 1},
		{At: time.Date(2024, 1, 2, 3, 4, 6, 0, time.UTC), Name: "nul\x00inside\x00", N: 1 << 63, Tags: []string{"\x00", "x\x00y"}, Kind: "incident", Done: nil, Delta: -1 << 63, Flag: 0, Score: -1e300, Version: 2},
		{At: time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC), Name: "Größe ✓ 日本語 🚀", N: 0, Tags: []string{}, Kind: "Ünïcode", Done: &done, Delta: 1<<63 - 1, Flag: 255, Score: 3.5, Version: 3},
		{At: time.Date(2106, 2, 7, 6, 28, 15, 0, time.UTC), Name: "tab\tnewline\nquote'backslash\\", N: 42, Tags: []string{"'", "\\", "\n"}, Kind: "", Done: nil, Delta: 0, Flag: 7, Score: 0, Version: 4},
	}
	for _, transport := range transports {
		t.Run(transport, func(t *testing.T) {
			srv := serve(t, transport)
			admin := connect(t, srv, "default", nil)
			db := createDatabase(t, admin)
			conn := connect(t, srv, db, nil)
			exec(t, conn, `CREATE TABLE events (
				at DateTime('UTC'), name String, n UInt64, tags Array(String),
				kind LowCardinality(String), done Nullable(DateTime('UTC')),
				delta Int64, flag UInt8, score Float64, version UInt64
			) ENGINE = ReplacingMergeTree(version) ORDER BY name`)

			batch, err := conn.PrepareBatch(t.Context(), "INSERT INTO events")
			if err != nil {
				t.Fatalf("prepare batch: %v", err)
			}
			for _, r := range rows {
				if err := batch.Append(r.At, r.Name, r.N, r.Tags, r.Kind, r.Done, r.Delta, r.Flag, r.Score, r.Version); err != nil {
					t.Fatalf("append: %v", err)
				}
			}
			if err := batch.Send(); err != nil {
				t.Fatalf("send: %v", err)
			}

			got := selectEvents(t, conn)
			want := map[string]event{}
			for _, r := range rows {
				want[r.Name] = r
			}
			if len(got) != len(want) {
				t.Fatalf("read %d rows, want %d", len(got), len(want))
			}
			for _, g := range got {
				w := want[g.Name]
				if !g.At.Equal(w.At) || !reflect.DeepEqual(g.Tags, w.Tags) || g.N != w.N || g.Kind != w.Kind ||
					g.Delta != w.Delta || g.Flag != w.Flag || g.Score != w.Score || g.Version != w.Version ||
					(g.Done == nil) != (w.Done == nil) || (g.Done != nil && !g.Done.Equal(*w.Done)) {
					t.Errorf("row %q:\n got %+v\nwant %+v", g.Name, g, w)
				}
				if g.At.Location().String() != "UTC" {
					t.Errorf("row %q: at is in %s, want UTC", g.Name, g.At.Location())
				}
			}

			// A second version of a row: ReplacingMergeTree keeps the last
			// with FINAL.
			newer := rows[0]
			newer.N, newer.Version = 99, 10
			batch, err = conn.PrepareBatch(t.Context(), "INSERT INTO events (name, n, version, at)")
			if err != nil {
				t.Fatalf("prepare batch: %v", err)
			}
			if err := batch.Append(newer.Name, newer.N, newer.Version, newer.At); err != nil {
				t.Fatalf("append: %v", err)
			}
			if err := batch.Send(); err != nil {
				t.Fatalf("send: %v", err)
			}
			var n uint64
			if err := conn.QueryRow(t.Context(), "SELECT n FROM events FINAL WHERE name = ?", newer.Name).Scan(&n); err != nil {
				t.Fatalf("select final: %v", err)
			}
			if n != 99 {
				t.Errorf("n after the second version = %d, want 99", n)
			}
		})
	}
}

func selectEvents(t *testing.T, conn driver.Conn) []event {
	t.Helper()
	rs, err := conn.Query(t.Context(), "SELECT at, name, n, tags, kind, done, delta, flag, score, version FROM events ORDER BY version")
	if err != nil {
		t.Fatalf("select: %v", err)
	}
	defer rs.Close()
	var got []event
	for rs.Next() {
		var e event
		if err := rs.Scan(&e.At, &e.Name, &e.N, &e.Tags, &e.Kind, &e.Done, &e.Delta, &e.Flag, &e.Score, &e.Version); err != nil {
			t.Fatalf("scan: %v", err)
		}
		got = append(got, e)
	}
	if err := rs.Err(); err != nil {
		t.Fatalf("rows: %v", err)
	}
	return got
}

// TestInsertColumnCounts inserts into tables whose Native data starts
// with a whitespace byte (the column count: 9 is a tab, 10 a newline, 12
// a form feed, 13 a carriage return, 32 a space), which the engine must
// not skip as the space after "FORMAT Native".
func TestInsertColumnCounts(t *testing.T) {
	srv := serve(t, "http")
	admin := connect(t, srv, "default", nil)
	db := createDatabase(t, admin)
	conn := connect(t, srv, db, nil)
	for _, cols := range []int{1, 9, 10, 11, 12, 13, 32} {
		t.Run(fmt.Sprint(cols), func(t *testing.T) {
			table := fmt.Sprintf("c%d", cols)
			defs := make([]string, cols)
			for i := range defs {
				defs[i] = fmt.Sprintf("c%d UInt32", i)
			}
			exec(t, conn, fmt.Sprintf("CREATE TABLE %s (%s) ENGINE = MergeTree ORDER BY tuple()", table, strings.Join(defs, ", ")))
			batch, err := conn.PrepareBatch(t.Context(), "INSERT INTO "+table)
			if err != nil {
				t.Fatalf("prepare batch: %v", err)
			}
			for row := range 9 { // 9 rows: the row count is a tab too
				vals := make([]any, cols)
				for i := range vals {
					vals[i] = uint32(row*100 + i)
				}
				if err := batch.Append(vals...); err != nil {
					t.Fatalf("append: %v", err)
				}
			}
			if err := batch.Send(); err != nil {
				t.Fatalf("send: %v", err)
			}
			var count, sum uint64
			if err := conn.QueryRow(t.Context(), fmt.Sprintf("SELECT count(), sum(c%d) FROM %s", cols-1, table)).Scan(&count, &sum); err != nil {
				t.Fatalf("select: %v", err)
			}
			if want := uint64(9*(cols-1) + 100*36); count != 9 || sum != want {
				t.Errorf("count, sum = %d, %d, want 9, %d", count, sum, want)
			}
		})
	}
}

// TestInsertDataWithBlankLines inserts a batch whose Native data holds
// "\n\n" (the Int64 2570 is 0a 0a 00 …): chDB stops reading data that
// follows an INSERT in the same buffer at a blank line, so the front must
// hand it over whole another way.
func TestInsertDataWithBlankLines(t *testing.T) {
	srv := serve(t, "http")
	admin := connect(t, srv, "default", nil)
	db := createDatabase(t, admin)
	conn := connect(t, srv, db, nil)
	exec(t, conn, "CREATE TABLE n (id String, n Int64) ENGINE = MergeTree ORDER BY id")
	batch, err := conn.PrepareBatch(t.Context(), "INSERT INTO n (id, n)")
	if err != nil {
		t.Fatalf("prepare batch: %v", err)
	}
	const rows = 3000
	for i := range rows {
		if err := batch.Append(fmt.Sprintf("row\n\n%d", i), int64(i)); err != nil {
			t.Fatalf("append: %v", err)
		}
	}
	if err := batch.Send(); err != nil {
		t.Fatalf("send: %v", err)
	}
	var count uint64
	var sum int64
	if err := conn.QueryRow(t.Context(), "SELECT count(), sum(n) FROM n WHERE id LIKE 'row\n\n%'").Scan(&count, &sum); err != nil {
		t.Fatalf("select: %v", err)
	}
	if count != rows || sum != rows*(rows-1)/2 {
		t.Errorf("count, sum = %d, %d, want %d, %d", count, sum, rows, rows*(rows-1)/2)
	}
}

func TestExceptionCodes(t *testing.T) {
	srv := serve(t, "http")
	admin := connect(t, srv, "default", nil)
	db := createDatabase(t, admin)
	conn := connect(t, srv, db, nil)
	exec(t, conn, "CREATE TABLE t (a UInt8) ENGINE = MergeTree ORDER BY a")
	for _, tc := range []struct {
		name  string
		query string
		code  int32
	}{
		{"unknown table", "SELECT * FROM missing", 60},
		{"table exists", "CREATE TABLE t (a UInt8) ENGINE = MergeTree ORDER BY a", 57},
		// ClickHouse 18.16 answered 44 (ILLEGAL_COLUMN) here; current
		// releases answer 15 (DUPLICATE_COLUMN).
		{"column exists", "ALTER TABLE t ADD COLUMN a UInt8", 15},
		{"unknown database", "SELECT * FROM nosuch_db.t", 81},
		{"syntax error", "SELEC 1", 62},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := conn.Exec(t.Context(), tc.query)
			assertCode(t, err, tc.code)
		})
	}
	t.Run("query", func(t *testing.T) {
		_, err := conn.Query(t.Context(), "SELECT * FROM missing")
		assertCode(t, err, 60)
	})
	t.Run("connect to an unknown database", func(t *testing.T) {
		c, err := open(srv, "nosuch_db", nil)
		if err == nil {
			defer c.Close()
			err = c.Ping(t.Context())
		}
		assertCode(t, err, 81)
	})
	t.Run("the connection still works", func(t *testing.T) {
		var n uint64
		if err := conn.QueryRow(t.Context(), "SELECT count() FROM t").Scan(&n); err != nil {
			t.Fatal(err)
		}
	})
}

func assertCode(t *testing.T, err error, code int32) {
	t.Helper()
	var ex *clickhouse.Exception
	if !errors.As(err, &ex) {
		t.Fatalf("error %v is not a *clickhouse.Exception", err)
	}
	if ex.Code != code {
		t.Fatalf("code %d (%v), want %d", ex.Code, err, code)
	}
}

func TestSettings(t *testing.T) {
	for _, transport := range transports {
		t.Run(transport, func(t *testing.T) {
			srv := serve(t, transport)
			with := connect(t, srv, "default", clickhouse.Settings{"max_execution_time": 60})
			without := connect(t, srv, "default", nil)
			// Alternate, so that each query follows the other
			// connection's.
			for range 2 {
				for _, tc := range []struct {
					conn driver.Conn
					want string
				}{{with, "60"}, {without, "0"}} {
					var got string
					if err := tc.conn.QueryRow(t.Context(), "SELECT toString(getSetting('max_execution_time'))").Scan(&got); err != nil {
						t.Fatal(err)
					}
					if got != tc.want {
						t.Errorf("max_execution_time = %s, want %s", got, tc.want)
					}
				}
			}
			// A setting for one query, through the context.
			ctx := clickhouse.Context(t.Context(), clickhouse.WithSettings(clickhouse.Settings{"max_threads": 3}))
			var threads string
			if err := without.QueryRow(ctx, "SELECT toString(getSetting('max_threads'))").Scan(&threads); err != nil {
				t.Fatal(err)
			}
			if threads != "3" {
				t.Errorf("max_threads for the query = %s, want 3", threads)
			}
			if err := without.QueryRow(t.Context(), "SELECT toString(getSetting('max_threads'))").Scan(&threads); err != nil {
				t.Fatal(err)
			}
			if threads == "3" {
				t.Errorf("max_threads stayed 3 after the query")
			}
			// An unknown setting is ClickHouse's error.
			bad, err := open(srv, "default", clickhouse.Settings{"no_such_setting": 1})
			if err == nil {
				defer bad.Close()
				err = bad.Ping(t.Context())
			}
			assertCode(t, err, 115)
		})
	}
}

func TestQueryParameters(t *testing.T) {
	srv := serve(t, "http")
	conn := connect(t, srv, "default", nil)
	ctx := clickhouse.Context(t.Context(), clickhouse.WithParameters(clickhouse.Parameters{
		"s": "tab\\there 'quoted' \\\\ ünï",
		"n": "42",
	}))
	var s string
	var n uint64
	if err := conn.QueryRow(ctx, "SELECT {s:String}, {n:UInt64}").Scan(&s, &n); err != nil {
		t.Fatal(err)
	}
	if want := "tab\there 'quoted' \\ ünï"; s != want || n != 42 {
		t.Errorf("got %q, %d, want %q, 42", s, n, want)
	}
}

func TestDatabasesAlternate(t *testing.T) {
	srv := serve(t, "https")
	admin := connect(t, srv, "default", nil)
	base := createDatabase(t, admin)
	conns := map[string]driver.Conn{}
	for i, name := range []string{"a", "b"} {
		db := base + "_" + name
		exec(t, admin, "CREATE DATABASE "+db)
		t.Cleanup(func() { admin.Exec(context.Background(), "DROP DATABASE IF EXISTS "+db) })
		c := connect(t, srv, db, nil)
		exec(t, c, "CREATE TABLE t (v String) ENGINE = MergeTree ORDER BY v")
		exec(t, c, fmt.Sprintf("INSERT INTO t SELECT '%s' FROM numbers(%d)", name, i+1))
		conns[name] = c
	}
	for range 3 {
		for i, name := range []string{"a", "b"} {
			var v string
			var n uint64
			if err := conns[name].QueryRow(t.Context(), "SELECT any(v), count() FROM t").Scan(&v, &n); err != nil {
				t.Fatal(err)
			}
			if v != name || n != uint64(i+1) {
				t.Errorf("connection %s read %q x%d, want %q x%d", name, v, n, name, i+1)
			}
		}
	}
	// A client's own USE does not leak into the next request.
	if err := conns["a"].Exec(t.Context(), "USE default"); err != nil {
		t.Fatal(err)
	}
	var v string
	if err := conns["a"].QueryRow(t.Context(), "SELECT any(v) FROM t").Scan(&v); err != nil || v != "a" {
		t.Errorf("after USE: %q, %v", v, err)
	}
}

// TestConcurrent runs queries and inserts from many goroutines: the
// engine serializes them.
func TestConcurrent(t *testing.T) {
	srv := serve(t, "http")
	admin := connect(t, srv, "default", nil)
	db := createDatabase(t, admin)
	exec(t, admin, "CREATE TABLE "+db+".t (g UInt8, i UInt32) ENGINE = MergeTree ORDER BY (g, i)")
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 8 {
		wg.Go(func() {
			conn, err := open(srv, db, clickhouse.Settings{"max_threads": g + 1})
			if err != nil {
				errs <- err
				return
			}
			defer conn.Close()
			for i := range 5 {
				batch, err := conn.PrepareBatch(context.Background(), "INSERT INTO t")
				if err != nil {
					errs <- err
					return
				}
				if err := batch.Append(uint8(g), uint32(i)); err != nil {
					errs <- err
					return
				}
				if err := batch.Send(); err != nil {
					errs <- err
					return
				}
				var threads string
				if err := conn.QueryRow(context.Background(), "SELECT toString(getSetting('max_threads'))").Scan(&threads); err != nil {
					errs <- err
					return
				}
				if threads != fmt.Sprint(g+1) {
					errs <- fmt.Errorf("goroutine %d: max_threads = %s", g, threads)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	var n uint64
	if err := admin.QueryRow(t.Context(), "SELECT count() FROM "+db+".t").Scan(&n); err != nil || n != 40 {
		t.Errorf("count = %d, %v, want 40", n, err)
	}
}

// TestClientGoesAway cancels a query mid-way: the engine finishes it,
// and the front goes on serving.
func TestClientGoesAway(t *testing.T) {
	srv := serve(t, "http")
	conn := connect(t, srv, "default", nil)
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	if err := conn.Exec(ctx, "SELECT sleep(1)"); err == nil {
		t.Fatal("a query longer than its context succeeded")
	}
	var one uint8
	if err := conn.QueryRow(t.Context(), "SELECT 1").Scan(&one); err != nil || one != 1 {
		t.Fatalf("after a cancelled query: %d, %v", one, err)
	}
}

// TestHTTP checks the interface with a plain HTTP client.
func TestHTTP(t *testing.T) {
	srv := serve(t, "http")
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	io.WriteString(zw, "SELECT 40 + 2")
	zw.Close()
	for _, tc := range []struct {
		name     string
		method   string
		target   string
		body     io.Reader
		header   map[string]string
		status   int
		want     string
		wantCode string
	}{
		{"ping", "GET", "/ping", nil, nil, 200, "Ok.\n", ""},
		{"root", "GET", "/", nil, nil, 200, "Ok.\n", ""},
		{"get query", "GET", "/?query=" + url.QueryEscape("SELECT 1"), nil, nil, 200, "1\n", ""},
		{"post body", "POST", "/", strings.NewReader("SELECT 'x', 2"), nil, 200, "x\t2\n", ""},
		{"query and body", "POST", "/?query=" + url.QueryEscape("SELECT 40 +"), strings.NewReader("2"), nil, 200, "42\n", ""},
		{"format", "POST", "/?default_format=CSV", strings.NewReader("SELECT 'x', 2"), nil, 200, "\"x\",2\n", ""},
		{"gzip body", "POST", "/", bytes.NewReader(gz.Bytes()), map[string]string{"Content-Encoding": "gzip"}, 200, "42\n", ""},
		{"error", "POST", "/", strings.NewReader("SELECT * FROM missing"), nil, 500, "Code: 60. DB::Exception: ", "60"},
		{"unknown database", "POST", "/?database=nosuch", strings.NewReader("SELECT 1"), nil, 500, "Code: 81. DB::Exception: ", "81"},
		{"empty query", "POST", "/", nil, nil, 400, "Code: 62. DB::Exception: ", "62"},
		{"native compression", "POST", "/?compress=1", strings.NewReader("SELECT 1"), nil, 400, "Code: 48. DB::Exception: ", "48"},
		{"readonly", "POST", "/?readonly=1", strings.NewReader("SELECT 1"), nil, 400, "Code: 48. DB::Exception: ", "48"},
		{"bad setting name", "POST", "/?" + url.QueryEscape("a;b") + "=1", strings.NewReader("SELECT 1"), nil, 400, "Code: 115. DB::Exception: ", "115"},
		{"not found", "GET", "/nowhere", nil, nil, 404, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequestWithContext(t.Context(), tc.method, srv.URL+tc.target, tc.body)
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range tc.header {
				req.Header.Set(k, v)
			}
			res, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			body, _ := io.ReadAll(res.Body)
			if res.StatusCode != tc.status {
				t.Errorf("status %d, want %d (%s)", res.StatusCode, tc.status, body)
			}
			if !strings.HasPrefix(string(body), tc.want) {
				t.Errorf("body %q, want it to start with %q", body, tc.want)
			}
			if got := res.Header.Get("X-ClickHouse-Exception-Code"); got != tc.wantCode {
				t.Errorf("X-ClickHouse-Exception-Code %q, want %q", got, tc.wantCode)
			}
		})
	}
}

// TestHelloBlock decodes the hello answer as clickhouse-go does: at the
// client's revision.
func TestHelloBlock(t *testing.T) {
	for _, revision := range []uint64{0, 54460, clickhouse.ClientTCPProtocolVersion} {
		t.Run(fmt.Sprint(revision), func(t *testing.T) {
			data, err := helloBlock("26.5.1.1", revision)
			if err != nil {
				t.Fatal(err)
			}
			block := proto.NewBlock()
			if err := block.Decode(chproto.NewReader(bytes.NewReader(data)), revision); err != nil {
				t.Fatalf("decode: %v", err)
			}
			if block.Rows() != 1 || len(block.Columns) != 4 {
				t.Fatalf("%d rows, %d columns", block.Rows(), len(block.Columns))
			}
			want := []any{"chdb", "26.5.1.1", uint32(0), "UTC"}
			for i, c := range block.Columns {
				if got := c.Row(0, false); got != want[i] {
					t.Errorf("column %s = %v, want %v", c.Name(), got, want[i])
				}
			}
		})
	}
}

func TestOpenMissingLibrary(t *testing.T) {
	_, err := Open(t.TempDir()+"/libchdb.so", t.TempDir())
	if err == nil || !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), "run scripts/chdb.sh fetch") {
		t.Fatalf("error %v, want libchdb not found ... run scripts/chdb.sh fetch", err)
	}
}

// TestCompression sends batches and queries with the HTTP compressions
// clickhouse-go offers: gzip and deflate work (answers come back
// uncompressed, which clickhouse-go accepts), ClickHouse's native LZ4 is
// refused clearly.
func TestCompression(t *testing.T) {
	srv := serve(t, "http")
	admin := connect(t, srv, "default", nil)
	db := createDatabase(t, admin)
	exec(t, admin, "CREATE TABLE "+db+".t (s String) ENGINE = MergeTree ORDER BY s")
	for _, tc := range []struct {
		method clickhouse.CompressionMethod
		code   int32 // 0: works
	}{
		{clickhouse.CompressionGZIP, 0},
		{clickhouse.CompressionDeflate, 0},
		{clickhouse.CompressionLZ4, 48},
	} {
		t.Run(tc.method.String(), func(t *testing.T) {
			conn, err := openCompressed(srv, db, nil, &clickhouse.Compression{Method: tc.method})
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			if tc.code != 0 {
				assertCode(t, conn.Ping(t.Context()), tc.code)
				return
			}
			batch, err := conn.PrepareBatch(t.Context(), "INSERT INTO t")
			if err != nil {
				t.Fatal(err)
			}
			for range 1000 {
				if err := batch.Append(tc.method.String()); err != nil {
					t.Fatal(err)
				}
			}
			if err := batch.Send(); err != nil {
				t.Fatalf("send: %v", err)
			}
			var n uint64
			if err := conn.QueryRow(t.Context(), "SELECT count() FROM t WHERE s = ?", tc.method.String()).Scan(&n); err != nil || n != 1000 {
				t.Fatalf("count = %d, %v, want 1000", n, err)
			}
		})
	}
}

// TestGoSignalHandlers checks that the engine left the Go runtime its
// signals: a nil dereference is still a panic to recover from, not a
// hang in chDB's crash handler.
func TestGoSignalHandlers(t *testing.T) {
	e := engine(t)
	if _, err := e.Query([]byte("SELECT 1"), "TabSeparated"); err != nil {
		t.Fatal(err)
	}
	var p *int
	defer func() {
		if recover() == nil {
			t.Error("a nil dereference did not panic")
		}
	}()
	_ = *p
}
