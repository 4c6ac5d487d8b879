package clickhouse

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"
)

// ErrLeaseHeld is returned by TryLease when another process holds the lease.
var ErrLeaseHeld = errors.New("lease held by another process")

// ErrLeaseDraining is returned (wrapped, with ErrLeaseHeld) by TryLease
// when the holder is gone or expired but some of its queries still run on
// the server: the lease is free once they end, usually within seconds
// (a killed process's connections are closed by its kernel).
var ErrLeaseDraining = errors.New("the holder is gone but its last queries still run")

// ErrLeaseLost is returned by Check and Renew once the lease has expired
// or another process has taken it over: the work it guarded must stop
// before it writes anything more.
var ErrLeaseLost = errors.New("lease lost")

// Lease is a named mutual-exclusion lease shared by every doraflow process
// that uses the same database.
//
// ClickHouse has no transactions or compare-and-set, but CREATE TABLE is
// atomic: of two processes creating the same table, exactly one succeeds.
// A lease is therefore a sequence of generations, tables
// doraflow_lease_NAME_GEN, and only the newest generation counts. Its rows
// say who holds it until when; the row written last decides. Releasing
// writes a row that has already expired, and never drops the table: the
// generations only ever grow, so two processes can never both create "the
// next" one after seeing the same state. Whoever creates a generation
// collects the ones older than the generation it replaced.
//
// The newest generation may be taken over, by creating the next, once it
// is released, or expired, or its holder is a process of this host that
// is gone — and in the last two cases only when none of the holder's
// queries is still running in system.processes: a killed or stalled
// holder's INSERT can outlive it.
//
// The holder fences its writes with Check: it passes only while the
// lease is still the newest generation and has not expired, and renews
// the lease once half its TTL has passed. So work begun right after a
// Check has at least half a TTL before anyone may take over, and if it is
// still running then, the taker sees it and waits.
//
// The tables use MergeTree, which reads and writes concurrently. On a
// cluster they live on the lease server only, the first address of
// Options.Addr (see cluster.go).
type Lease struct {
	store *Store
	name  string
	gen   int
	ttl   time.Duration
	// expires is when the lease expires by this process's clock: the
	// time a renewal was sent plus the TTL, never later than the server
	// has it.
	expires time.Time
}

var leaseName = regexp.MustCompile(`^[a-z_]+$`)

// leasePrefix starts the name of every lease table. An older doraflow
// named its (TinyLog) tables lease_NAME_GEN; those are not read.
const leasePrefix = "doraflow_lease_"

// TryLease takes the lease NAME for ttl, or returns ErrLeaseHeld (wrapped,
// with the holder) when a live holder has it.
func (s *Store) TryLease(ctx context.Context, name string, ttl time.Duration) (*Lease, error) {
	if !leaseName.MatchString(name) {
		return nil, fmt.Errorf("lease name %q: want [a-z_]+", name)
	}
	if ttl < 2*time.Second {
		return nil, fmt.Errorf("lease %s: a TTL of %s is shorter than the 2s the server's clock can tell", name, ttl)
	}
	if !s.leaseServer {
		return nil, fmt.Errorf("take lease %s: %w: the first address of clickhouse.addr did not answer, and this process uses %s; leases live on the first address only, so that two processes never hold one at once (start that server, or list a live replica first in the config of every doraflow process)", name, ErrNotLeaseServer, s.addr)
	}
	gens, err := s.leaseGenerations(ctx, name)
	if err != nil {
		return nil, err
	}
	next := 1
	if len(gens) > 0 {
		top := gens[len(gens)-1]
		if err := s.leaseFree(ctx, name, top); err != nil {
			return nil, err
		}
		next = top + 1
	}
	l := &Lease{store: s, name: name, gen: next, ttl: ttl}
	if err := s.conn.Exec(ctx, "CREATE TABLE "+l.table()+" (holder String, expires_at DateTime('UTC'), written UInt64) ENGINE = MergeTree() ORDER BY written"); err != nil {
		if isTableExists(err) {
			return nil, fmt.Errorf("%w: another process took it at the same moment", ErrLeaseHeld)
		}
		return nil, fmt.Errorf("take lease %s: %w", name, err)
	}
	if err := l.write(ctx, ttl); err != nil {
		return nil, err
	}
	// A generation created after a newer one was collected is stale: the
	// newest generation is never dropped, so one newer than ours says so.
	if gens, err = s.leaseGenerations(ctx, name); err != nil {
		// Not knowing, give it up rather than block everyone for a TTL.
		_ = l.Release(context.WithoutCancel(ctx))
		return nil, err
	}
	if gens[len(gens)-1] != next {
		_ = s.conn.Exec(ctx, "DROP TABLE IF EXISTS "+l.table())
		return nil, fmt.Errorf("%w: another process took it at the same moment", ErrLeaseHeld)
	}
	for _, g := range gens {
		if g < next-1 {
			_ = s.conn.Exec(ctx, "DROP TABLE IF EXISTS "+leaseTable(name, g))
		}
	}
	return l, nil
}

// leaseFree returns nil when generation gen of lease name may be taken
// over, and ErrLeaseHeld (wrapped, saying by whom) when not.
func (s *Store) leaseFree(ctx context.Context, name string, gen int) error {
	st, err := s.leaseState(ctx, name, gen)
	if err != nil {
		return err
	}
	if !st.released && st.serverNow.Before(st.expires) && !deadHolder(s.machine, st.holder) {
		return fmt.Errorf("%w: %s until %s", ErrLeaseHeld, st.holder, st.expires.UTC().Format(time.RFC3339))
	}
	// Released, expired or dead: free once none of the holder's queries
	// still runs (a holder that gave up on a statement, timed out or was
	// stopped may leave it running on the server). This process's own
	// queries are its own business, and would count the check itself.
	if st.holder == s.id {
		return nil
	}
	running, err := s.runningQueries(ctx, st.holder)
	if err != nil {
		return err
	}
	if running > 0 {
		return fmt.Errorf("%w: %w: %s, %d of them", ErrLeaseHeld, ErrLeaseDraining, st.holder, running)
	}
	return nil
}

// AcquireLease waits for the lease NAME, polling every pollEvery, until ctx
// ends.
func (s *Store) AcquireLease(ctx context.Context, name string, ttl, pollEvery time.Duration) (*Lease, error) {
	for {
		l, err := s.TryLease(ctx, name, ttl)
		if !errors.Is(err, ErrLeaseHeld) {
			return l, err
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("waiting for lease %s: %w (last: %v)", name, ctx.Err(), err)
		case <-time.After(pollEvery):
		}
	}
}

// Renew extends the lease by its TTL from now, or returns ErrLeaseLost.
func (l *Lease) Renew(ctx context.Context) error {
	if err := l.newest(ctx); err != nil {
		return err
	}
	return l.write(ctx, l.ttl)
}

// Check returns ErrLeaseLost (wrapped) when the lease has expired or
// another process may have taken it over; call it before every write that
// must not come from two processes. Once half the TTL has passed since
// the last renewal it renews the lease, so a holder that checks often
// keeps it.
func (l *Lease) Check(ctx context.Context) error {
	if err := l.newest(ctx); err != nil {
		return err
	}
	if time.Until(l.expires) < l.ttl/2 {
		return l.write(ctx, l.ttl)
	}
	return nil
}

// newest returns ErrLeaseLost unless the lease is unexpired and still the
// newest generation.
func (l *Lease) newest(ctx context.Context) error {
	if !time.Now().Before(l.expires) {
		return fmt.Errorf("%w: lease %s expired after %s without a renewal", ErrLeaseLost, l.name, l.ttl)
	}
	gens, err := l.store.leaseGenerations(ctx, l.name)
	if err != nil {
		return err
	}
	if len(gens) == 0 || gens[len(gens)-1] != l.gen {
		return fmt.Errorf("%w: another process took lease %s over", ErrLeaseLost, l.name)
	}
	return nil
}

// Release gives the lease up: it expires at once, for the next taker.
func (l *Lease) Release(ctx context.Context) error {
	if err := l.write(ctx, 0); err != nil {
		return fmt.Errorf("release lease %s: %w", l.name, err)
	}
	l.expires = time.Time{}
	return nil
}

// write records the lease as held for ttl from the server's now; 0
// releases it.
func (l *Lease) write(ctx context.Context, ttl time.Duration) error {
	sent := time.Now()
	expires := "now() + " + strconv.FormatInt(int64(ttl/time.Second), 10)
	if ttl == 0 {
		expires = "toDateTime(0, 'UTC')"
	}
	// INSERT … SELECT: the expiry is the server's clock, the one every
	// taker compares it with.
	// written orders the rows of a holder: NextVersion only grows, even
	// should the wall clock step back between a renewal and the release.
	err := l.store.conn.Exec(ctx, "INSERT INTO "+l.table()+" (holder, expires_at, written) SELECT ?, "+expires+", ?",
		l.store.id, l.store.NextVersion())
	if err != nil {
		return fmt.Errorf("renew lease %s: %w", l.name, err)
	}
	if ttl > 0 {
		// Whole seconds on the server: count from before the row was
		// sent, less the second the server's now() may be behind.
		l.expires = sent.Add(ttl - time.Second)
	}
	return nil
}

func (l *Lease) table() string { return leaseTable(l.name, l.gen) }

// deadHolder reports whether a lease holder ("machine/pid/nonce") ran on
// this machine, in this process namespace, and its process is gone: a
// process killed with kill -9 cannot release its lease, and nobody should
// wait out the TTL for it then. machine is this process's (see
// machineID): containers or hosts that share a hostname but not their
// process ids never judge each other dead.
func deadHolder(machine, holder string) bool {
	parts := strings.Split(holder, "/")
	if len(parts) != 3 || parts[0] != machine {
		return false
	}
	pid, err := strconv.Atoi(parts[1])
	if err != nil || pid <= 0 {
		return false
	}
	return errors.Is(syscall.Kill(pid, 0), syscall.ESRCH)
}

func leaseTable(name string, gen int) string { return fmt.Sprintf("%s%s_%d", leasePrefix, name, gen) }

// leaseGenerations lists the generations of lease name, oldest first. A
// table dropped while system.tables is read can fail the listing on some
// releases (code 60): it is read again then.
func (s *Store) leaseGenerations(ctx context.Context, name string) ([]int, error) {
	for attempt := 1; ; attempt++ {
		gens, err := s.listLeaseGenerations(ctx, name)
		if err == nil || !isUnknownTable(err) || attempt == 3 {
			return gens, err
		}
	}
}

func (s *Store) listLeaseGenerations(ctx context.Context, name string) ([]int, error) {
	rows, err := s.conn.Query(ctx, "SELECT name FROM system.tables WHERE database = ? AND startsWith(name, ?)", s.database, leasePrefix+name+"_")
	if err != nil {
		return nil, fmt.Errorf("list lease %s: %w", name, err)
	}
	defer rows.Close()
	prefix := len(leasePrefix + name + "_")
	var gens []int
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			return nil, fmt.Errorf("list lease %s: %w", name, err)
		}
		if g, err := strconv.Atoi(t[prefix:]); err == nil {
			gens = append(gens, g)
		}
	}
	sort.Ints(gens)
	return gens, rows.Err()
}

// leaseState is what the newest row of a generation says, and the
// server's clock when it was read.
type leaseState struct {
	holder    string
	expires   time.Time
	released  bool
	serverNow time.Time
}

func (s *Store) leaseState(ctx context.Context, name string, gen int) (leaseState, error) {
	var st leaseState
	var rows uint64
	row := s.conn.QueryRow(ctx, "SELECT argMax(holder, written), argMax(expires_at, written), count(), now() FROM "+leaseTable(name, gen))
	if err := row.Scan(&st.holder, &st.expires, &rows, &st.serverNow); err != nil {
		if isUnknownTable(err) {
			// The newest generation is never dropped: a newer one
			// collected this one since it was listed.
			return st, fmt.Errorf("%w: another process took it at the same moment", ErrLeaseHeld)
		}
		return st, fmt.Errorf("read lease %s: %w", name, err)
	}
	if rows > 0 {
		st.released = st.expires.Unix() <= 0
		return st, nil
	}
	// Created but not written yet: its creator is between CREATE TABLE
	// and its first row. Count it as held for a short grace after its
	// creation, or a racing process would take it over.
	var created time.Time
	err := s.conn.QueryRow(ctx, "SELECT metadata_modification_time FROM system.tables WHERE database = ? AND name = ?",
		s.database, leaseTable(name, gen)).Scan(&created)
	// Gone since it was listed: 18.16 says so with code 60 when the table
	// is dropped while system.tables reads its metadata.
	if errors.Is(err, sql.ErrNoRows) || isUnknownTable(err) {
		return st, fmt.Errorf("%w: another process took it at the same moment", ErrLeaseHeld)
	}
	if err != nil {
		return st, fmt.Errorf("read lease %s: %w", name, err)
	}
	st.holder, st.expires = "(being taken)", created.Add(leaseCreateGrace)
	return st, nil
}

// runningQueries counts the queries of the process holder (a Store's id)
// that the server is still running. clickhouse-go names the process in
// the client name (native) or the User-Agent (HTTP) of every query.
func (s *Store) runningQueries(ctx context.Context, holder string) (uint64, error) {
	if holder == "" || holder == "(being taken)" {
		return 0, nil
	}
	tag := clientProduct + "/" + holder + " "
	var n uint64
	err := s.conn.QueryRow(ctx, "SELECT count() FROM system.processes WHERE position(client_name, ?) > 0 OR position(http_user_agent, ?) > 0", tag, tag).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("read the server's running queries: %w", err)
	}
	return n, nil
}

// leaseCreateGrace is how long a lease table without a row yet counts as
// held: a creator that died in between frees it after this.
const leaseCreateGrace = 30 * time.Second

func isTableExists(err error) bool { return exceptionCode(err) == 57 }

// isUnknownTable reports a table that does not exist or is going away:
// read while another process drops it, ClickHouse says the table is
// dropped (218) or that its files are gone (1000).
func isUnknownTable(err error) bool {
	switch exceptionCode(err) {
	case 60, 218, 1000:
		return true
	}
	return false
}

func exceptionCode(err error) int32 {
	var exc *ch.Exception
	if errors.As(err, &exc) {
		return exc.Code
	}
	return 0
}
