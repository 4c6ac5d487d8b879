package clickhouse

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"doraflow"
)

// The TabSeparated reference. The benchmark (cmd/doraflow-bench) measures
// the batch inserts of staging.go against ClickHouse's own bulk path:
// clickhouse-client inserting the same rows from TabSeparated files. The
// reference lives here, next to the inserts, because it talks to
// ClickHouse and because it must write exactly what they write: it takes
// its rows and column lists from the same stagingRows, and inserts into
// copies of the real staging tables, so it cannot drift from the schema.
// The pipeline never uses it.

// TSVStage holds staging rows as TabSeparated files, one per staging
// table, for [TSVStage.InsertWithClient] to insert.
type TSVStage struct {
	store  *Store
	files  []*tsvFile // in StagingTables order
	closed bool
	buf    []byte
	values []any
}

// tsvFile is the file of one staging table.
type tsvFile struct {
	table StagingTable
	path  string
	f     *os.File
	w     *bufio.Writer
}

// NewTSVStage creates, in dir, an empty TabSeparated file per staging
// table (replacing any of the same name), for the rows that
// [TSVStage.Write] adds.
func (s *Store) NewTSVStage(dir string) (*TSVStage, error) {
	t := &TSVStage{store: s}
	for _, table := range StagingTables {
		path := filepath.Join(dir, table.Staging+".tsv")
		f, err := os.Create(path)
		if err != nil {
			t.Close()
			return nil, fmt.Errorf("staging TSV: %w", err)
		}
		t.files = append(t.files, &tsvFile{table: table, path: path, f: f, w: bufio.NewWriterSize(f, 1<<20)})
	}
	return t, nil
}

// Write appends the staging rows of f to the files: the rows that
// StageChanges, StageShips, StageDeployments and StageIncidents would
// insert, each table's with one fresh version as they take.
func (t *TSVStage) Write(f doraflow.FactSet) error {
	if t.closed {
		return errors.New("staging TSV: write after close")
	}
	for _, rows := range factRows(f) {
		if rows.n == 0 {
			continue
		}
		file := t.file(rows.table)
		v := t.store.NextVersion()
		for i := 0; i < rows.n; i++ {
			t.values = rows.row(t.values[:0], i, v)
			var err error
			if t.buf, err = appendTSVRow(t.buf[:0], t.values); err != nil {
				return fmt.Errorf("staging TSV %s row %d: %w", rows.table.Staging, i, err)
			}
			if _, err := file.w.Write(t.buf); err != nil {
				return fmt.Errorf("staging TSV: %w", err)
			}
		}
	}
	return nil
}

// file returns the file of table.
func (t *TSVStage) file(table StagingTable) *tsvFile {
	for _, f := range t.files {
		if f.table.Staging == table.Staging {
			return f
		}
	}
	panic("staging TSV: no file for " + table.Staging) // StagingTables lists every table factRows yields
}

// Close flushes and closes the files, which stay in their directory;
// [TSVStage.InsertWithClient] closes them itself. Closing again does
// nothing.
func (t *TSVStage) Close() error {
	if t.closed {
		return nil
	}
	t.closed = true
	var errs []error
	for _, f := range t.files {
		errs = append(errs, f.w.Flush(), f.f.Close())
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("staging TSV: %w", err)
	}
	return nil
}

// InsertWithClient closes the files and has clickhouse-client insert each
// into a copy of its staging table: <table>_client, created afresh AS the
// staging table (so with its real schema) in the store's database, one
// client process per table reading its file on stdin with
// INSERT INTO <table>_client (<the staging columns>) FORMAT TabSeparated.
// It returns the time the client processes took, their start-up
// included, creating the copies excluded. The copies stay, to be compared
// with staging or dropped with the database.
//
// clickhouse-client speaks the native protocol without TLS here, and
// takes no password on its command line: a store over HTTP, with TLS,
// with a password or on a cluster is refused.
func (t *TSVStage) InsertWithClient(ctx context.Context) (time.Duration, error) {
	if err := t.Close(); err != nil {
		return 0, err
	}
	s := t.store
	switch {
	case s.opts.Protocol == HTTP:
		return 0, errors.New("clickhouse-client reference: the store speaks HTTP; the client needs the native protocol")
	case s.opts.Secure || s.opts.Password != "" || s.cluster != "":
		return 0, errors.New("clickhouse-client reference: only for a plain native server without a password or cluster (a benchmark's)")
	}
	client, err := exec.LookPath("clickhouse-client")
	if err != nil {
		return 0, fmt.Errorf("clickhouse-client reference: %w (scripts/clickhouse.sh install installs it)", err)
	}
	host, port, err := net.SplitHostPort(s.opts.Addr[0])
	if err != nil {
		return 0, fmt.Errorf("clickhouse-client reference: address %q: %w", s.opts.Addr[0], err)
	}
	args := []string{"--host", host, "--port", port, "--database", s.database}
	if s.opts.Username != "" {
		args = append(args, "--user", s.opts.Username)
	}
	var total time.Duration
	for _, f := range t.files {
		cp := f.table.Staging + "_client"
		for _, stmt := range []string{"DROP TABLE IF EXISTS " + cp, "CREATE TABLE " + cp + " AS " + f.table.Staging} {
			if err := s.conn.Exec(ctx, stmt); err != nil {
				return 0, fmt.Errorf("clickhouse-client reference: %s: %w", stmt, err)
			}
		}
		in, err := os.Open(f.path)
		if err != nil {
			return 0, fmt.Errorf("clickhouse-client reference: %w", err)
		}
		var stderr bytes.Buffer
		cmd := exec.CommandContext(ctx, client, append(args, "--query",
			"INSERT INTO "+cp+" ("+f.table.Columns+") FORMAT TabSeparated")...)
		cmd.Stdin, cmd.Stderr = in, &stderr
		start := time.Now()
		err = cmd.Run()
		total += time.Since(start)
		in.Close()
		if err != nil {
			return 0, fmt.Errorf("clickhouse-client reference: insert %s into %s: %w: %s", f.path, cp, err, strings.TrimSpace(stderr.String()))
		}
	}
	return total, nil
}

// appendTSVRow appends values as one TabSeparated line.
func appendTSVRow(b []byte, values []any) ([]byte, error) {
	for i, v := range values {
		if i > 0 {
			b = append(b, '\t')
		}
		var err error
		if b, err = appendTSV(b, v); err != nil {
			return b, err
		}
	}
	return append(b, '\n'), nil
}

// appendTSV appends v as a TabSeparated field, for each type the staging
// rows hold: strings escaped, DateTime('UTC') as "YYYY-MM-DD hh:mm:ss"
// in UTC, NULL as \N and arrays as [...] of quoted strings.
func appendTSV(b []byte, v any) ([]byte, error) {
	switch v := v.(type) {
	case string:
		return appendEscaped(b, v, 0), nil
	case int64:
		return strconv.AppendInt(b, v, 10), nil
	case uint64:
		return strconv.AppendUint(b, v, 10), nil
	case uint8:
		return strconv.AppendUint(b, uint64(v), 10), nil
	case time.Time:
		return v.UTC().AppendFormat(b, time.DateTime), nil
	case *time.Time:
		if v == nil {
			return append(b, `\N`...), nil
		}
		return v.UTC().AppendFormat(b, time.DateTime), nil
	case []string:
		b = append(b, '[')
		for i, s := range v {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(appendEscaped(append(b, '\''), s, '\''), '\'')
		}
		return append(b, ']'), nil
	case [][]string:
		b = append(b, '[')
		for i, s := range v {
			if i > 0 {
				b = append(b, ',')
			}
			b, _ = appendTSV(b, s)
		}
		return append(b, ']'), nil
	}
	return b, fmt.Errorf("no TabSeparated form for %T", v)
}

// appendEscaped appends s with the escapes ClickHouse's text formats read:
// backslash, the control characters that would end a field or a row, and
// quote when it is not 0 (inside a quoted array element).
func appendEscaped(b []byte, s string, quote byte) []byte {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			b = append(b, `\\`...)
		case '\t':
			b = append(b, `\t`...)
		case '\n':
			b = append(b, `\n`...)
		case '\r':
			b = append(b, `\r`...)
		case 0:
			b = append(b, `\0`...)
		default:
			if quote != 0 && c == quote {
				b = append(b, '\\')
			}
			b = append(b, c)
		}
	}
	return b
}
