package clickhouse

import (
	"context"
	"fmt"
	"sort"

	"doraflow"
)

// FactDump is the current state of every fact and how many rows the fact
// tables hold for each: what two runs over the same upstream data must
// agree on, row for row (the fault suite compares them). It reads whole
// tables, so it suits test-sized databases.
type FactDump struct {
	// FactSet holds the current version of every fact, each slice sorted
	// by id.
	doraflow.FactSet
	// Versions counts the stored rows per fact table and id (a ship set's
	// id is its deployment's). Promote adds a row only when the content
	// changed, so a fact promoted twice with the same content still
	// counts one.
	Versions map[string]map[string]uint64
}

// factIDs names the id column of each fact table.
var factIDs = map[string]string{"deployments": "id", "changes": "id", "ships": "deployment_id", "incidents": "id"}

// DumpFacts reads every current fact, with the number of stored rows of
// each.
func (s *Store) DumpFacts(ctx context.Context) (FactDump, error) {
	d := FactDump{Versions: map[string]map[string]uint64{}}
	ids := map[string][]string{}
	for table, col := range factIDs {
		// table and col come from factIDs, never from input.
		rows, err := s.conn.Query(ctx, "SELECT "+col+", count() FROM "+table+" GROUP BY "+col+" ORDER BY "+col)
		if err != nil {
			return d, fmt.Errorf("dump %s: %w", table, err)
		}
		counts := map[string]uint64{}
		for rows.Next() {
			var id string
			var n uint64
			if err := rows.Scan(&id, &n); err != nil {
				rows.Close()
				return d, fmt.Errorf("dump %s: %w", table, err)
			}
			counts[id] = n
			ids[table] = append(ids[table], id)
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return d, fmt.Errorf("dump %s: %w", table, err)
		}
		d.Versions[table] = counts
	}
	// A ship set may name a deployment that has no fact yet; asking for
	// its id as a deployment's brings the ship set in all the same.
	f, err := s.FactsByID(ctx, append(ids["deployments"], ids["ships"]...), ids["changes"], ids["incidents"])
	if err != nil {
		return d, fmt.Errorf("dump facts: %w", err)
	}
	sort.Slice(f.Deployments, func(i, j int) bool { return f.Deployments[i].ID < f.Deployments[j].ID })
	sort.Slice(f.Changes, func(i, j int) bool { return f.Changes[i].ID < f.Changes[j].ID })
	sort.Slice(f.Incidents, func(i, j int) bool { return f.Incidents[i].ID < f.Incidents[j].ID })
	d.FactSet = f
	return d, nil
}

// Tables lists the tables of the store's database, sorted by name: its
// schema, without the lease tables, whose generations come and go.
func (s *Store) Tables(ctx context.Context) ([]string, error) {
	rows, err := s.conn.Query(ctx, "SELECT name FROM system.tables WHERE database = ? AND NOT startsWith(name, ?) ORDER BY name", s.database, leasePrefix)
	if err != nil {
		return nil, fmt.Errorf("list tables: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return nil, fmt.Errorf("list tables: %w", err)
		}
		out = append(out, name)
	}
	return out, rows.Err()
}
