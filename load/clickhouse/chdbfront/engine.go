// Package chdbfront is test tooling: a ClickHouse HTTP interface in front
// of chDB's in-process engine (libchdb, a current ClickHouse built as a
// shared library), so that tests run on a current ClickHouse without a
// server.
//
// Open loads libchdb and starts the engine; Handler serves ClickHouse's
// HTTP interface well enough for clickhouse-go v2's HTTP transport
// (clickhouse.Options{Protocol: clickhouse.HTTP}). Nothing here is meant
// for production: every query of the process runs on one shared chDB
// connection, one at a time.
package chdbfront

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"unsafe"

	"github.com/ebitengine/purego"
)

// Engine is chDB's engine loaded in this process. chDB allows one engine
// per process: open one Engine and share it. Its methods are safe for
// concurrent use; statements run one at a time.
type Engine struct {
	api *chdbAPI
	// handle is the chdb_connection* chdb_connect returned; chdb_close_conn
	// takes it, the query functions take *handle.
	handle unsafe.Pointer

	// sem holds the engine: a channel rather than a sync.Mutex so that a
	// request whose client went away stops waiting for its turn.
	sem chan struct{}
	// database is the current database of the shared connection, "" when
	// unknown; guarded by sem.
	database string
	// closed is guarded by sem.
	closed bool
	// version is the engine's version(), set by Open.
	version string
}

// chdbAPI holds the libchdb functions the engine calls. C pointers the
// library owns are unsafe.Pointer; buffers passed in are Go memory that C
// only reads during the call (the cgo rules).
type chdbAPI struct {
	connect      func(argc int32, argv []*byte) unsafe.Pointer
	closeConn    func(conn unsafe.Pointer)
	queryN       func(conn unsafe.Pointer, query *byte, queryLen uintptr, format *byte, formatLen uintptr) unsafe.Pointer
	queryParamsN func(conn unsafe.Pointer, query *byte, queryLen uintptr, format *byte, formatLen uintptr,
		names []*byte, nameLens []uintptr, values []*byte, valueLens []uintptr, count uintptr) unsafe.Pointer
	resultBuffer             func(result unsafe.Pointer) *byte
	resultLength             func(result unsafe.Pointer) uintptr
	resultError              func(result unsafe.Pointer) string
	destroyResult            func(result unsafe.Pointer)
	setSignalHandlersEnabled func(enabled int32)
}

// loadAPI dlopens libchdb and resolves the functions the engine needs,
// with an error rather than purego.RegisterLibFunc's panic when one is
// missing (an older libchdb).
func loadAPI(libPath string) (*chdbAPI, error) {
	lib, err := purego.Dlopen(libPath, purego.RTLD_NOW|purego.RTLD_GLOBAL)
	if err != nil {
		return nil, fmt.Errorf("load libchdb %s: %w", libPath, err)
	}
	api := &chdbAPI{}
	for _, f := range []struct {
		name string
		fptr any
	}{
		{"chdb_connect", &api.connect},
		{"chdb_close_conn", &api.closeConn},
		{"chdb_query_n", &api.queryN},
		{"chdb_query_with_params_n", &api.queryParamsN},
		{"chdb_result_buffer", &api.resultBuffer},
		{"chdb_result_length", &api.resultLength},
		{"chdb_result_error", &api.resultError},
		{"chdb_destroy_query_result", &api.destroyResult},
		{"chdb_set_signal_handlers_enabled", &api.setSignalHandlersEnabled},
	} {
		sym, err := purego.Dlsym(lib, f.name)
		if err != nil {
			return nil, fmt.Errorf("libchdb %s has no %s (libchdb 26.5 or later is needed): %w", libPath, f.name, err)
		}
		purego.RegisterFunc(f.fptr, sym)
	}
	return api, nil
}

// Open loads libchdb from libPath and starts the engine with its data in
// dataDir (created if missing). The library is loaded here, not at
// program start, so that a program that never opens an engine does not
// need it.
func Open(libPath, dataDir string) (*Engine, error) {
	if _, err := os.Stat(libPath); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("libchdb not found at %s: run scripts/chdb.sh fetch: %w", libPath, fs.ErrNotExist)
		}
		return nil, fmt.Errorf("libchdb at %s: %w", libPath, err)
	}
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return nil, fmt.Errorf("chdb data directory: %w", err)
	}
	api, err := loadAPI(libPath)
	if err != nil {
		return nil, err
	}

	// chDB installs crash handlers for SIGSEGV, SIGBUS, SIGILL, ... that
	// would take those signals from the Go runtime (a nil dereference
	// would hang in chDB's handler instead of panicking). Opting out resets
	// the same signals to SIG_DFL, Go's handlers included, and
	// chdb_connect resets them again, so both calls run inside
	// keepGoSignalHandlers.
	keepGoSignalHandlers(func() { api.setSignalHandlersEnabled(0) })

	args := []string{"clickhouse", "--path=" + dataDir}
	argv := make([]*byte, len(args))
	for i, a := range args {
		argv[i] = &append([]byte(a), 0)[0]
	}
	var handle unsafe.Pointer
	keepGoSignalHandlers(func() { handle = api.connect(int32(len(argv)), argv) })
	runtime.KeepAlive(argv)
	if handle == nil || *(*unsafe.Pointer)(handle) == nil {
		return nil, fmt.Errorf("chdb_connect --path=%s failed: chDB runs one engine per process (is another Engine open?)", dataDir)
	}

	e := &Engine{api: api, handle: handle, sem: make(chan struct{}, 1)}
	// Every timestamp doraflow stores is UTC, and the front tells clients
	// the server's time zone is UTC: make the engine agree whatever TZ the
	// process runs with.
	if _, err := e.Query([]byte("SET session_timezone = 'UTC'"), "TabSeparated"); err != nil {
		e.Close()
		return nil, fmt.Errorf("chdb: set the session time zone: %w", err)
	}
	out, err := e.Query([]byte("SELECT version(), currentDatabase()"), "TabSeparated")
	if err != nil {
		e.Close()
		return nil, fmt.Errorf("chdb: read the version: %w", err)
	}
	e.version, e.database, _ = strings.Cut(strings.TrimSuffix(string(out), "\n"), "\t")
	return e, nil
}

// Version returns the ClickHouse version of the engine, e.g. "26.5.1.1".
func (e *Engine) Version() string { return e.version }

// Close shuts the engine down; further queries fail. chDB can then be
// opened again, but its authors advise against shutting it down and
// booting it repeatedly in one process.
func (e *Engine) Close() error {
	if err := e.acquire(context.Background()); err != nil {
		return err
	}
	defer e.release()
	if e.closed {
		return nil
	}
	e.closed = true
	keepGoSignalHandlers(func() { e.api.closeConn(e.handle) })
	return nil
}

// Query runs one statement (with any data that follows it, e.g. an INSERT
// ... FORMAT Native and its binary data) and returns its output in format
// (a ClickHouse format name such as TabSeparated or Native). The statement
// may contain NUL bytes. An engine error is an *Error.
func (e *Engine) Query(query []byte, format string) ([]byte, error) {
	var out []byte
	err := e.locked(context.Background(), func(s *session) error {
		var err error
		out, err = s.query(query, format, nil)
		return err
	})
	return out, err
}

// acquire takes the engine, or gives up when ctx ends first.
func (e *Engine) acquire(ctx context.Context) error {
	select {
	case e.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("waiting for the chdb engine: %w", context.Cause(ctx))
	}
}

func (e *Engine) release() { <-e.sem }

// locked runs fn while holding the engine, so that a sequence of
// statements (USE, SET, the query, SET back) does not interleave with
// another request's on the one shared connection.
func (e *Engine) locked(ctx context.Context, fn func(s *session) error) error {
	if err := e.acquire(ctx); err != nil {
		return err
	}
	defer e.release()
	if e.closed {
		return errors.New("chdb engine is closed")
	}
	return fn(&session{e: e})
}

// session is the engine while it is held: its methods must only be called
// from the function given to locked.
type session struct{ e *Engine }

// param is a query parameter ({name:Type} in the query), its value in
// ClickHouse's escaped text form, as the HTTP interface's param_name.
type param struct{ name, value string }

// query runs one statement on the held engine. Every result is freed
// before returning: the output is copied into Go memory.
func (s *session) query(query []byte, format string, params []param) ([]byte, error) {
	api := s.e.api
	conn := *(*unsafe.Pointer)(s.e.handle)
	if len(query) == 0 {
		return nil, &Error{Code: codeSyntaxError, Text: "Code: 62. DB::Exception: Empty query. (SYNTAX_ERROR)"}
	}
	f := []byte(format)
	if len(f) == 0 {
		f = []byte("TabSeparated")
	}

	var result unsafe.Pointer
	// Queries too: chDB may set up handlers lazily.
	keepGoSignalHandlers(func() { result = s.call(conn, query, f, params) })
	runtime.KeepAlive(query)
	runtime.KeepAlive(f)
	if result == nil {
		return nil, newError("chdb returned no result (is the connection closed?)")
	}
	defer api.destroyResult(result)

	if msg := api.resultError(result); msg != "" {
		return nil, newError(msg)
	}
	n := api.resultLength(result)
	if n == 0 {
		return nil, nil
	}
	return bytes.Clone(unsafe.Slice(api.resultBuffer(result), n)), nil
}

// call calls chdb_query_n, or chdb_query_with_params_n when there are
// parameters, and returns the result to free.
func (s *session) call(conn unsafe.Pointer, query, format []byte, params []param) unsafe.Pointer {
	api := s.e.api
	if len(params) == 0 {
		return api.queryN(conn, &query[0], uintptr(len(query)), &format[0], uintptr(len(format)))
	}
	names := make([]*byte, len(params))
	nameLens := make([]uintptr, len(params))
	values := make([]*byte, len(params))
	valueLens := make([]uintptr, len(params))
	for i, p := range params {
		// A NUL after each so that an empty name or value still has an
		// address to pass.
		names[i], nameLens[i] = &append([]byte(p.name), 0)[0], uintptr(len(p.name))
		values[i], valueLens[i] = &append([]byte(p.value), 0)[0], uintptr(len(p.value))
	}
	result := api.queryParamsN(conn, &query[0], uintptr(len(query)), &format[0], uintptr(len(format)),
		names, nameLens, values, valueLens, uintptr(len(params)))
	runtime.KeepAlive(names)
	runtime.KeepAlive(values)
	return result
}

// Error codes of ClickHouse the front uses itself.
const (
	codeSyntaxError    = 62
	codeUnknownSetting = 115
	codeNotImplemented = 48
	codeUnknown        = 1000
)

// Error is an error of the engine, in ClickHouse's form.
type Error struct {
	// Code is ClickHouse's error code, e.g. 60 for an unknown table.
	Code int
	// Text is the whole message, "Code: N. DB::Exception: ...".
	Text string
}

// Error returns the whole message, as ClickHouse writes it.
func (e *Error) Error() string { return e.Text }

var codePrefix = regexp.MustCompile(`^Code: (\d+)\. `)

// newError turns an engine message into an Error, giving the ClickHouse
// form (and code 1000) to one that lacks it, so that clients parse it.
func newError(msg string) *Error {
	msg = strings.TrimRight(msg, "\r\n")
	if m := codePrefix.FindStringSubmatch(msg); m != nil {
		if code, err := strconv.Atoi(m[1]); err == nil && code > 0 {
			return &Error{Code: code, Text: msg}
		}
	}
	return &Error{Code: codeUnknown, Text: "Code: 1000. DB::Exception: " + msg}
}

// use makes database the current database of the shared connection. It
// runs USE only when the database differs from the one the connection is
// known to be in; an unknown database gives ClickHouse's error (code 81).
func (s *session) use(database string) error {
	if database == s.e.database {
		return nil
	}
	// Until USE succeeds the current database is what it was, but forget
	// it rather than trust that.
	s.e.database = ""
	if _, err := s.query([]byte("USE "+quoteIdent(database)), "TabSeparated", nil); err != nil {
		return err
	}
	s.e.database = database
	return nil
}

// forgetDatabase tells the session that a statement may have changed the
// current database (a USE in the client's own query), so that the next
// request runs USE.
func (s *session) forgetDatabase() { s.e.database = "" }

// setting is a ClickHouse setting given for one request.
type setting struct{ name, value string }

// settingState is a setting's value before a request changed it.
type settingState struct {
	Name    string `json:"name"`
	Value   string `json:"value"`
	Changed uint8  `json:"changed"`
}

// applySettings sets settings for one request and returns the function
// that puts back what was there before: the value the session had, or
// DEFAULT for a setting it had not changed (or that system.settings does
// not list). The settings' names must be identifiers.
func (s *session) applySettings(settings []setting) (restore func() error, err error) {
	if len(settings) == 0 {
		return func() error { return nil }, nil
	}
	names := make([]string, len(settings))
	for i, st := range settings {
		names[i] = quoteString(st.name)
	}
	out, err := s.query([]byte("SELECT name, value, changed FROM system.settings WHERE name IN ("+strings.Join(names, ", ")+")"), "JSONEachRow", nil)
	if err != nil {
		return nil, fmt.Errorf("read the settings to restore: %w", err)
	}
	before := map[string]settingState{}
	dec := json.NewDecoder(bytes.NewReader(out))
	for dec.More() {
		var st settingState
		if err := dec.Decode(&st); err != nil {
			return nil, fmt.Errorf("read the settings to restore: %w", err)
		}
		before[st.Name] = st
	}

	// back puts every setting back; known only those system.settings
	// lists, which is what a failed SET may have changed.
	var set, back, known []string
	for _, st := range settings {
		set = append(set, st.name+" = "+quoteString(st.value))
		b, ok := before[st.name]
		if ok && b.Changed != 0 {
			back = append(back, st.name+" = "+quoteString(b.Value))
		} else {
			back = append(back, st.name+" = DEFAULT")
		}
		if ok {
			known = append(known, back[len(back)-1])
		}
	}
	if _, err := s.query([]byte("SET "+strings.Join(set, ", ")), "TabSeparated", nil); err != nil {
		// SET may have applied the settings before the one it refused.
		if len(known) > 0 {
			_, _ = s.query([]byte("SET "+strings.Join(known, ", ")), "TabSeparated", nil)
		}
		return nil, err
	}
	return func() error {
		if _, err := s.query([]byte("SET "+strings.Join(back, ", ")), "TabSeparated", nil); err != nil {
			return fmt.Errorf("restore the settings: %w", err)
		}
		return nil
	}, nil
}

// quoteIdent quotes a name for SQL with backquotes.
func quoteIdent(name string) string {
	return "`" + strings.NewReplacer(`\`, `\\`, "`", "\\`").Replace(name) + "`"
}

// quoteString quotes a string literal for SQL.
func quoteString(v string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(v) + "'"
}
