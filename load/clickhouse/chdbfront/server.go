package chdbfront

import (
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"

	chproto "github.com/ClickHouse/ch-go/proto"
	"github.com/ClickHouse/clickhouse-go/v2/lib/column"
	"github.com/ClickHouse/clickhouse-go/v2/lib/proto"
)

// MaxBodySize is the largest request body the front reads: generous,
// since batch inserts arrive as one body.
const MaxBodySize = 1 << 30

// helloQuery is the first query clickhouse-go's HTTP transport sends; its
// answer tells the client how to decode every later block.
const helloQuery = "SELECT displayName(), version(), revision(), timezone()"

// Handler returns an http.Handler answering ClickHouse's HTTP interface
// with e: a query on / (POST or GET, the query in the "query" parameter,
// the body or both), "Ok.\n" on /ping. Any user and password are
// accepted: the engine has no users.
func Handler(e *Engine) http.Handler {
	return &front{engine: e}
}

type front struct{ engine *Engine }

func (f *front) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/ping":
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		io.WriteString(w, "Ok.\n")
	case "/", "":
		if r.Method != http.MethodGet && r.Method != http.MethodPost {
			w.Header().Set("Allow", "GET, POST")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		f.serveQuery(w, r)
	default:
		http.NotFound(w, r)
	}
}

// serveQuery runs the request's query and writes its output, or the
// error in ClickHouse's form.
func (f *front) serveQuery(w http.ResponseWriter, r *http.Request) {
	req, err := parseRequest(w, r)
	if err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	defer req.close()
	if len(req.query) == 0 {
		if r.Method == http.MethodGet {
			// ClickHouse answers a GET / without a query like /ping.
			io.WriteString(w, "Ok.\n")
			return
		}
		writeError(w, http.StatusBadRequest, &Error{Code: codeSyntaxError, Text: "Code: 62. DB::Exception: Empty query. (SYNTAX_ERROR)"})
		return
	}

	out, err := f.run(r.Context(), req)
	if err != nil {
		if r.Context().Err() != nil {
			// The client went away: nobody reads the answer.
			return
		}
		writeError(w, http.StatusInternalServerError, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", contentType(req.format))
	h.Set("X-ClickHouse-Format", req.format)
	h.Set("X-ClickHouse-Timezone", "UTC")
	h.Set("X-ClickHouse-Server-Display-Name", "chdb")
	if id := r.URL.Query().Get("query_id"); id != "" {
		h.Set("X-ClickHouse-Query-Id", id)
	}
	// An explicit length, 0 included: clickhouse-go takes a response
	// without content (a DDL's) as no rows.
	h.Set("Content-Length", strconv.Itoa(len(out)))
	w.WriteHeader(http.StatusOK)
	w.Write(out)
}

// run runs req on the engine as one sequence: the database, the
// settings, the query, the settings back.
func (f *front) run(ctx context.Context, req *request) ([]byte, error) {
	var out []byte
	err := f.engine.locked(ctx, func(s *session) error {
		if err := s.use(req.database); err != nil {
			return err
		}
		restore, err := s.applySettings(req.settings)
		if err != nil {
			return err
		}
		if req.isHello() {
			out, err = helloBlock(s.e.version, req.revision)
		} else {
			out, err = s.query(req.query, req.format, req.params)
			if mayChangeDatabase(req.statement()) {
				s.forgetDatabase()
			}
		}
		return errors.Join(err, restore())
	})
	return out, err
}

// request is a query request of ClickHouse's HTTP interface.
type request struct {
	// query is the statement with any data after it.
	query []byte
	// queryParam is the length of query that came from the "query"
	// parameter (plus the newline after it when there is a body).
	queryParam int
	format     string
	database   string
	// revision is client_protocol_version, 0 when absent.
	revision uint64
	settings []setting
	params   []param
	// infile is the temporary file holding an INSERT's data, if any.
	infile string
}

// isHello reports whether req is clickhouse-go's first query, which the
// front answers itself (see helloBlock).
func (r *request) isHello() bool {
	if r.format != "Native" {
		return false
	}
	q := strings.TrimSpace(string(r.statement()))
	return strings.TrimSpace(strings.TrimSuffix(q, ";")) == helloQuery
}

// statement returns the start of the query where a statement is: the
// "query" parameter, or the start of the body. The body of a large
// INSERT is mostly data, not worth scanning.
func (r *request) statement() []byte {
	if r.queryParam > 0 {
		return r.query[:r.queryParam]
	}
	return r.query[:min(len(r.query), 64<<10)]
}

// usePattern finds a USE statement, which changes the current database of
// the shared connection.
var usePattern = regexp.MustCompile(`(?i)(^|;)\s*USE\s`)

func mayChangeDatabase(statement []byte) bool { return usePattern.Match(statement) }

// settingName is what a setting's name may be: it goes into a SET
// statement unquoted.
var settingName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// parseRequest reads the query, its data and its parameters. Its error is
// an *Error for the client.
func parseRequest(w http.ResponseWriter, r *http.Request) (*request, error) {
	values := r.URL.Query()
	req := &request{
		format:   values.Get("default_format"),
		database: values.Get("database"),
	}
	if req.format == "" {
		req.format = r.Header.Get("X-ClickHouse-Format")
	}
	if req.format == "" {
		req.format = "TabSeparated"
	}
	if req.database == "" {
		req.database = r.Header.Get("X-ClickHouse-Database")
	}
	if req.database == "" {
		req.database = "default"
	}
	if v := values.Get("client_protocol_version"); v != "" {
		rev, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return nil, &Error{Code: codeUnknown, Text: fmt.Sprintf("Code: 1000. DB::Exception: client_protocol_version %q is not a number.", v)}
		}
		req.revision = rev
	}
	for _, name := range []string{"compress", "decompress"} {
		if v := values.Get(name); v != "" && v != "0" {
			return nil, notImplemented("ClickHouse's native compression (%s=1) is not supported by chdbfront: use no compression, gzip or deflate", name)
		}
	}
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/") {
		return nil, notImplemented("external tables (multipart requests) are not supported by chdbfront")
	}

	for name, vs := range values {
		switch {
		case isRequestParam(name):
		case strings.HasPrefix(name, "param_"):
			req.params = append(req.params, param{name: strings.TrimPrefix(name, "param_"), value: vs[0]})
		case name == "readonly" && vs[0] != "0":
			// Read-only, the shared connection could not set its
			// settings back.
			return nil, notImplemented("readonly=%s is not supported by chdbfront", vs[0])
		case !settingName.MatchString(name):
			return nil, &Error{Code: codeUnknownSetting, Text: fmt.Sprintf("Code: 115. DB::Exception: Unknown setting %q. (UNKNOWN_SETTING)", name)}
		default:
			req.settings = append(req.settings, setting{name: name, value: vs[0]})
		}
	}
	// Map order is random: keep the statements the engine sees stable.
	sort.Slice(req.settings, func(i, j int) bool { return req.settings[i].name < req.settings[j].name })
	sort.Slice(req.params, func(i, j int) bool { return req.params[i].name < req.params[j].name })

	body, err := readBody(w, r)
	if err != nil {
		return nil, err
	}
	q := values.Get("query")
	switch {
	case q == "":
		req.query = body
	case len(body) == 0:
		req.query, req.queryParam = []byte(q), len(q)
	case insertFormat.MatchString(q):
		// chDB reads an INSERT's data that follows the statement in the
		// same buffer only up to the first blank line ("\n\n"), which
		// binary data such as Native holds whenever a value has two 0x0A
		// bytes in a row (an Int64 of 2570, say): the rest is lost with
		// "Cannot read all data". So the data goes through a file, read
		// whole by INSERT … FROM INFILE.
		if err := req.dataFromFile(q, body); err != nil {
			return nil, err
		}
	default:
		// Anything else with a body: the data follows the statement,
		// after a newline, as chDB takes it.
		req.query = make([]byte, 0, len(q)+1+len(body))
		req.query = append(append(append(req.query, q...), '\n'), body...)
		req.queryParam = len(q) + 1
	}
	return req, nil
}

// insertFormat matches an INSERT whose data is sent apart from it, as
// clickhouse-go's batches are: "INSERT INTO t (cols) FORMAT Native".
var insertFormat = regexp.MustCompile(`(?is)^\s*(INSERT\s+INTO\s.*?)\s+FORMAT\s+([A-Za-z0-9_]+)\s*;?\s*$`)

// dataFromFile writes body to a temporary file and makes req the INSERT q
// reading it FROM INFILE. The file is removed by req.close.
func (r *request) dataFromFile(q string, body []byte) error {
	m := insertFormat.FindStringSubmatch(q)
	f, err := os.CreateTemp("", "chdbfront-insert-*.data")
	if err != nil {
		return &Error{Code: codeUnknown, Text: "Code: 1000. DB::Exception: chdbfront cannot keep the INSERT's data: " + err.Error()}
	}
	r.infile = f.Name()
	_, err = f.Write(body)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		r.close()
		return &Error{Code: codeUnknown, Text: "Code: 1000. DB::Exception: chdbfront cannot keep the INSERT's data: " + err.Error()}
	}
	r.query = []byte(m[1] + " FROM INFILE " + quoteString(r.infile) + " FORMAT " + m[2])
	r.queryParam = len(r.query)
	return nil
}

// close removes what the request kept on disk.
func (r *request) close() {
	if r.infile != "" {
		os.Remove(r.infile)
		r.infile = ""
	}
}

// isRequestParam reports whether a URL parameter belongs to the HTTP
// interface rather than being a setting.
func isRequestParam(name string) bool {
	switch name {
	case "query", "database", "default_format", "client_protocol_version",
		"query_id", "session_id", "session_timeout", "session_check",
		"quota_key", "compress", "decompress", "user", "password", "role",
		"buffer_size", "wait_end_of_query", "stacktrace":
		return true
	}
	return false
}

// readBody reads the request body, decompressing gzip or deflate, up to
// MaxBodySize.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	if r.Body == nil {
		return nil, nil
	}
	raw := http.MaxBytesReader(w, r.Body, MaxBodySize)
	var body io.Reader = raw
	switch enc := strings.ToLower(r.Header.Get("Content-Encoding")); enc {
	case "", "identity":
	case "gzip":
		zr, err := gzip.NewReader(raw)
		if err != nil {
			return nil, bodyError(err)
		}
		body = zr
	case "deflate":
		// clickhouse-go's "deflate" is zlib's format.
		zr, err := zlib.NewReader(raw)
		if err != nil {
			return nil, bodyError(err)
		}
		body = zr
	default:
		return nil, notImplemented("Content-Encoding %q is not supported by chdbfront: use gzip or deflate", enc)
	}
	var buf bytes.Buffer
	if r.ContentLength > 0 && r.ContentLength <= MaxBodySize {
		buf.Grow(int(r.ContentLength))
	}
	// Decompressed data has its own limit: MaxBytesReader counts the
	// compressed bytes.
	n, err := buf.ReadFrom(io.LimitReader(body, MaxBodySize+1))
	if err != nil {
		return nil, bodyError(err)
	}
	if n > MaxBodySize {
		return nil, bodyError(&http.MaxBytesError{Limit: MaxBodySize})
	}
	return buf.Bytes(), nil
}

func bodyError(err error) *Error {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return &Error{Code: codeUnknown, Text: fmt.Sprintf("Code: 1000. DB::Exception: the request body is larger than chdbfront's limit of %d bytes.", MaxBodySize)}
	}
	return &Error{Code: codeUnknown, Text: "Code: 1000. DB::Exception: cannot read the request body: " + err.Error()}
}

func notImplemented(format string, args ...any) *Error {
	return &Error{Code: codeNotImplemented, Text: "Code: 48. DB::Exception: " + fmt.Sprintf(format, args...) + ". (NOT_IMPLEMENTED)"}
}

// writeError answers err as ClickHouse does: the status, the code in
// X-ClickHouse-Exception-Code and "Code: N. DB::Exception: ..." in the
// body, which clickhouse-go turns into a *clickhouse.Exception.
func writeError(w http.ResponseWriter, status int, err error) {
	var e *Error
	switch {
	case !errors.As(err, &e):
		e = newError(err.Error())
	case err.Error() != e.Text:
		// Wrapped or joined: the code of the engine's error, the whole text.
		e = &Error{Code: e.Code, Text: fmt.Sprintf("Code: %d. DB::Exception: %v", e.Code, err)}
	}
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=UTF-8")
	h.Set("X-ClickHouse-Exception-Code", strconv.Itoa(e.Code))
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	io.WriteString(w, e.Text+"\n")
}

// contentType is the Content-Type ClickHouse gives a format's output.
func contentType(format string) string {
	switch {
	case strings.HasPrefix(format, "JSON"):
		return "application/json; charset=UTF-8"
	case strings.HasPrefix(format, "TabSeparated"), strings.HasPrefix(format, "TSV"):
		return "text/tab-separated-values; charset=UTF-8"
	case strings.HasPrefix(format, "CSV"):
		return "text/csv; charset=UTF-8; header=absent"
	case format == "Native", strings.HasPrefix(format, "RowBinary"), format == "Parquet", format == "Arrow":
		return "application/octet-stream"
	}
	return "text/plain; charset=UTF-8"
}

// helloBlock answers helloQuery in Native format. clickhouse-go decodes
// this answer at its own client_protocol_version (block info and custom
// serialization flags included) and every later block at the revision
// the answer names. chDB's Native output is the revision-0 form, so the
// answer names revision 0, and is encoded with clickhouse-go's own
// encoder at the revision the client asked for.
func helloBlock(version string, revision uint64) ([]byte, error) {
	block := proto.NewBlock()
	for _, c := range []struct {
		name string
		typ  column.Type
	}{
		{"displayName()", "String"},
		{"version()", "String"},
		{"revision()", "UInt32"},
		{"timezone()", "String"},
	} {
		if err := block.AddColumn(c.name, c.typ); err != nil {
			return nil, fmt.Errorf("hello block: %w", err)
		}
	}
	if err := block.Append("chdb", version, uint32(0), "UTC"); err != nil {
		return nil, fmt.Errorf("hello block: %w", err)
	}
	var buf chproto.Buffer
	if err := block.Encode(&buf, revision); err != nil {
		return nil, fmt.Errorf("hello block: %w", err)
	}
	return buf.Buf, nil
}
