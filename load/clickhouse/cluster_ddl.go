package clickhouse

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// clusterDDL rewrites doraflow's single-server schema statements for a
// ClickHouse cluster of one shard and any number of replicas, so that the
// migration files stay plain single-server SQL:
//
//   - every statement gets ON CLUSTER, so each server of the cluster runs
//     it through the distributed DDL queue;
//   - every table, view and materialized-view target is qualified with the
//     database. The DDL queue runs each statement in the server's default
//     database, and ClickHouse 18.16 resolves an unqualified TO target or
//     FROM table there, not in doraflow's database;
//   - a *MergeTree engine becomes its Replicated form, with the table's
//     ZooKeeper path /clickhouse/tables/{shard}/DATABASE/TABLE (18.16 has no
//     {database} or {table} macros, so both are spelled out) and the
//     server's {replica} macro.
//
// Nothing else changes. A statement it does not know is an error rather
// than something run on one server only.
type clusterDDL struct {
	database, cluster string
	// tables holds the names of doraflow's tables and views: a FROM or
	// JOIN in a view's query is qualified only when it names one of them,
	// so subqueries, table functions and system tables stay as written.
	tables map[string]bool
}

// ident is an unquoted or backquoted identifier.
const ident = "(`[^`]+`|[A-Za-z_][A-Za-z0-9_]*)"

var (
	// ddlHead matches the statement kind and the object it names, at the
	// start of a statement whose comments and strings are masked.
	ddlHead = regexp.MustCompile(`(?i)^\s*(CREATE\s+(?:TABLE|MATERIALIZED\s+VIEW|VIEW|DATABASE)(?:\s+IF\s+NOT\s+EXISTS)?|DROP\s+(?:TABLE|VIEW)(?:\s+IF\s+EXISTS)?|ALTER\s+TABLE)\s+` + ident + `(\s*\.)?`)
	// mvTarget matches the TO clause right after a materialized view's name.
	mvTarget = regexp.MustCompile(`(?i)^\s+TO\s+` + ident + `(\s*\.)?`)
	// tableRef matches a table named after FROM or JOIN in a view's query.
	tableRef = regexp.MustCompile(`(?i)\b(?:FROM|JOIN)\s+` + ident + `(\s*[.(])?`)
	// engineRef matches the ENGINE clause of a CREATE TABLE.
	engineRef = regexp.MustCompile(`(?i)\bENGINE\s*=\s*([A-Za-z_][A-Za-z0-9_]*)`)
	// replicable lists the MergeTree engines with a Replicated form.
	replicable = regexp.MustCompile(`^(|Replacing|Summing|Aggregating|Collapsing|VersionedCollapsing)MergeTree$`)
)

// newClusterDDL returns the rewrite for database on cluster, knowing the
// tables and views that statements create.
func newClusterDDL(database, cluster string, statements []string) clusterDDL {
	c := clusterDDL{database: database, cluster: cluster, tables: map[string]bool{}}
	for _, stmt := range statements {
		m := ddlHead.FindStringSubmatch(maskSQL(stmt))
		if m == nil {
			continue
		}
		switch kindOf(m[1]) {
		case "CREATE TABLE", "CREATE VIEW", "CREATE MATERIALIZED VIEW":
			c.tables[unquote(m[2])] = true
		}
	}
	return c
}

// kindOf reduces a matched statement head to its kind: "CREATE TABLE",
// "CREATE MATERIALIZED VIEW", "DROP VIEW", "ALTER TABLE" and so on.
func kindOf(head string) string {
	words := strings.Fields(strings.ToUpper(head))
	var kind []string
	for _, w := range words {
		if w == "IF" {
			break
		}
		kind = append(kind, w)
	}
	return strings.Join(kind, " ")
}

// rewrite returns stmt for the cluster.
func (c clusterDDL) rewrite(stmt string) (string, error) {
	mask := maskSQL(stmt)
	head := ddlHead.FindStringSubmatchIndex(mask)
	if head == nil {
		return "", fmt.Errorf("cluster rewrite: %q is not a CREATE, DROP or ALTER that doraflow knows how to run ON CLUSTER (teach clusterDDL in load/clickhouse/cluster_ddl.go)", firstLine(stmt))
	}
	kind := kindOf(mask[head[2]:head[3]])
	name := unquote(stmt[head[4]:head[5]])
	if head[6] >= 0 {
		return "", fmt.Errorf("cluster rewrite: %s %s names a database; migrations must use unqualified names", kind, name)
	}
	var e edits
	if kind == "CREATE DATABASE" {
		e.add(head[5], " ON CLUSTER "+quoteIdent(c.cluster))
	} else {
		e.add(head[4], quoteIdent(c.database)+".")
		e.add(head[5], " ON CLUSTER "+quoteIdent(c.cluster))
	}
	switch kind {
	case "CREATE TABLE":
		if err := c.engine(stmt, mask, name, &e); err != nil {
			return "", err
		}
	case "CREATE MATERIALIZED VIEW":
		// An MV without TO would store into a hidden inner table; doraflow
		// always names its target (see STYLE.md), and that table is the
		// replicated one.
		to := mvTarget.FindStringSubmatchIndex(mask[head[5]:])
		if to == nil || to[4] >= 0 {
			return "", fmt.Errorf("cluster rewrite: materialized view %s must write TO an unqualified table", name)
		}
		e.add(head[5]+to[2], quoteIdent(c.database)+".")
		c.qualifyRefs(mask, head[5]+to[1], &e)
	case "CREATE VIEW":
		c.qualifyRefs(mask, head[5], &e)
	}
	return e.apply(stmt), nil
}

// engine replaces the MergeTree engine of table name with its Replicated
// form.
func (c clusterDDL) engine(stmt, mask, name string, e *edits) error {
	all := engineRef.FindAllStringSubmatchIndex(mask, -1)
	if len(all) != 1 {
		return fmt.Errorf("cluster rewrite: table %s: want exactly one ENGINE clause, found %d", name, len(all))
	}
	m := all[0]
	engine := stmt[m[2]:m[3]]
	if !replicable.MatchString(engine) {
		return fmt.Errorf("cluster rewrite: table %s: engine %s is not a MergeTree engine doraflow can replicate, so its rows would live on one server only", name, engine)
	}
	args := fmt.Sprintf("'/clickhouse/tables/{shard}/%s/%s', '{replica}'", c.database, name)
	e.add(m[2], "Replicated")
	rest := strings.TrimLeft(mask[m[3]:], " \t\r\n")
	if !strings.HasPrefix(rest, "(") {
		e.add(m[3], "("+args+")")
		return nil
	}
	open := len(mask) - len(rest)
	inside, _, closed := strings.Cut(mask[open+1:], ")")
	switch {
	case !closed:
		return fmt.Errorf("cluster rewrite: table %s: engine %s has no closing parenthesis", name, engine)
	case strings.TrimSpace(inside) == "":
		e.add(open+1, args)
	default:
		e.add(open+1, args+", ")
	}
	return nil
}

// qualifyRefs qualifies every doraflow table named after FROM or JOIN in
// mask from offset on.
func (c clusterDDL) qualifyRefs(mask string, from int, e *edits) {
	for _, m := range tableRef.FindAllStringSubmatchIndex(mask[from:], -1) {
		// Followed by "." it is already qualified, by "(" a table function.
		if m[4] >= 0 || !c.tables[unquote(mask[from+m[2]:from+m[3]])] {
			continue
		}
		e.add(from+m[2], quoteIdent(c.database)+".")
	}
}

// maskSQL returns stmt with the text of comments and string literals
// replaced by spaces, keeping every offset, so that patterns only ever
// match SQL.
func maskSQL(stmt string) string {
	b := []byte(stmt)
	for i := 0; i < len(b); i++ {
		switch {
		case b[i] == '-' && i+1 < len(b) && b[i+1] == '-':
			for ; i < len(b) && b[i] != '\n'; i++ {
				b[i] = ' '
			}
		case b[i] == '\'':
			for i++; i < len(b) && b[i] != '\''; i++ {
				if b[i] == '\\' && i+1 < len(b) {
					b[i] = ' '
					i++
				}
				if b[i] != '\n' {
					b[i] = ' '
				}
			}
		}
	}
	return string(b)
}

func unquote(name string) string { return strings.Trim(name, "`") }

func firstLine(stmt string) string {
	for _, line := range strings.Split(stmt, "\n") {
		if l := strings.TrimSpace(line); l != "" && !strings.HasPrefix(l, "--") {
			return l
		}
	}
	return strings.TrimSpace(stmt)
}

// edits are insertions at offsets of the original statement, applied in
// one pass so that an insertion does not move the offsets of the others.
type edits []insertion

type insertion struct {
	at   int
	text string
}

func (e *edits) add(at int, text string) { *e = append(*e, insertion{at, text}) }

func (e edits) apply(stmt string) string {
	sort.SliceStable(e, func(i, j int) bool { return e[i].at < e[j].at })
	var b strings.Builder
	last := 0
	for _, ins := range e {
		b.WriteString(stmt[last:ins.at])
		b.WriteString(ins.text)
		last = ins.at
	}
	b.WriteString(stmt[last:])
	return b.String()
}
