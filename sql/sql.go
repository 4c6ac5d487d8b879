// Package sql holds doraflow's ClickHouse SQL as files embedded in the
// binary: numbered schema migrations, applied in order by
// `doraflow migrate`, and the named queries the loader runs.
//
// Every statement runs on ClickHouse 18.16 (the oldest server the tests
// use) as well as on current releases: no window functions, DateTime64,
// TTL, Map or JSON types, and INSERTs always name their columns.
package sql

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
)

//go:embed migrations/*.sql queries/*.sql
var files embed.FS

// Migration is one numbered schema file. A file may hold several
// statements separated by a line containing only "-- statement".
type Migration struct {
	Version    int
	Name       string
	Statements []string
}

// statementSplit separates statements inside one migration file; the
// native protocol runs one statement per call.
const statementSplit = "\n-- statement\n"

// Migrations returns the embedded migrations ordered by version.
func Migrations() ([]Migration, error) {
	names, err := fs.Glob(files, "migrations/*.sql")
	if err != nil {
		return nil, fmt.Errorf("list migrations: %w", err)
	}
	out := make([]Migration, 0, len(names))
	for _, name := range names {
		base := path.Base(name)
		num, _, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			return nil, fmt.Errorf("migration %s: name must start with a number and an underscore", base)
		}
		body, err := files.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("read migration %s: %w", base, err)
		}
		m := Migration{Version: v, Name: strings.TrimSuffix(base, ".sql")}
		for _, stmt := range strings.Split(string(body), statementSplit) {
			if s := strings.TrimSpace(stmt); s != "" {
				m.Statements = append(m.Statements, s)
			}
		}
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	for i := 1; i < len(out); i++ {
		if out[i].Version == out[i-1].Version {
			return nil, fmt.Errorf("migrations %s and %s share version %d", out[i-1].Name, out[i].Name, out[i].Version)
		}
	}
	return out, nil
}

// Query returns the embedded query queries/NAME.sql.
func Query(name string) (string, error) {
	body, err := files.ReadFile("queries/" + name + ".sql")
	if err != nil {
		return "", fmt.Errorf("query %s: %w", name, err)
	}
	return strings.TrimSpace(string(body)), nil
}
