package clickhouse

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
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

// Lease is a named mutual-exclusion lease shared by every doraflow process
// that uses the same database.
//
// ClickHouse has no transactions or compare-and-set, but CREATE TABLE is
// atomic: of two processes creating the same table, exactly one succeeds.
// A lease is therefore a table lease_<name>_<generation>; its rows record
// the holder and expiry. Taking over an expired lease means creating the
// next generation, which again only one process can do, and a holder
// checks before committing work that no newer generation exists (fencing).
// A holder that dies without releasing leaves a lease that expires after
// its TTL, or at once for a process on the same host that is gone.
//
// On a cluster the lease tables live on the lease server only, the first
// address of Options.Addr (see cluster.go).
type Lease struct {
	store  *Store
	name   string
	gen    int
	holder string
	ttl    time.Duration
}

var leaseName = regexp.MustCompile(`^[a-z_]+$`)

// TryLease takes the lease NAME for ttl, or returns ErrLeaseHeld (wrapped,
// with the holder) when a live holder has it.
func (s *Store) TryLease(ctx context.Context, name string, ttl time.Duration) (*Lease, error) {
	if !leaseName.MatchString(name) {
		return nil, fmt.Errorf("lease name %q: want [a-z_]+", name)
	}
	if !s.leaseServer {
		return nil, fmt.Errorf("take lease %s: %w: the first address of clickhouse.addr did not answer, and this process uses %s; leases live on the first address only, so that two processes never hold one at once (start that server, or list a live replica first in the config of every doraflow process)", name, ErrNotLeaseServer, s.addr)
	}
	host, _ := os.Hostname()
	holder := fmt.Sprintf("%s/%d/%d", host, os.Getpid(), s.NextVersion())
	gens, err := s.leaseGenerations(ctx, name)
	if err != nil {
		return nil, err
	}
	next := 1
	if len(gens) > 0 {
		top := gens[len(gens)-1]
		who, expires, err := s.leaseState(ctx, name, top)
		if err != nil {
			return nil, err
		}
		if time.Now().Before(expires) && !deadHolder(host, who) {
			return nil, fmt.Errorf("%w: %s until %s", ErrLeaseHeld, who, expires.UTC().Format(time.RFC3339))
		}
		next = top + 1
	}
	l := &Lease{store: s, name: name, gen: next, holder: holder, ttl: ttl}
	if err := s.conn.Exec(ctx, "CREATE TABLE "+l.table()+" (holder String, expires_at DateTime('UTC')) ENGINE = TinyLog"); err != nil {
		if isTableExists(err) {
			return nil, fmt.Errorf("%w: another process took it at the same moment", ErrLeaseHeld)
		}
		return nil, fmt.Errorf("take lease %s: %w", name, err)
	}
	if err := l.Renew(ctx); err != nil {
		return nil, err
	}
	// Older generations are expired; drop them so the list stays short.
	for _, g := range gens {
		_ = s.conn.Exec(ctx, "DROP TABLE IF EXISTS "+leaseTable(name, g))
	}
	return l, nil
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

// Renew extends the lease by its TTL from now.
func (l *Lease) Renew(ctx context.Context) error {
	if err := l.store.insertRow(ctx, "INSERT INTO "+l.table()+" (holder, expires_at)", l.holder, time.Now().Add(l.ttl).UTC()); err != nil {
		return fmt.Errorf("renew lease %s: %w", l.name, err)
	}
	return nil
}

// Check returns an error when the lease has expired and another process
// may have taken it over; call it before committing work.
func (l *Lease) Check(ctx context.Context) error {
	gens, err := l.store.leaseGenerations(ctx, l.name)
	if err != nil {
		return err
	}
	if len(gens) == 0 || gens[len(gens)-1] != l.gen {
		return fmt.Errorf("lease %s was lost to another process (it expired after %s)", l.name, l.ttl)
	}
	return nil
}

// Release gives the lease up.
func (l *Lease) Release(ctx context.Context) error {
	if err := l.store.conn.Exec(ctx, "DROP TABLE IF EXISTS "+l.table()); err != nil {
		return fmt.Errorf("release lease %s: %w", l.name, err)
	}
	return nil
}

func (l *Lease) table() string { return leaseTable(l.name, l.gen) }

// deadHolder reports whether a lease holder ("host/pid/nonce") ran on this
// host and its process is gone: a process killed with kill -9 cannot
// release its lease, and nobody should wait out the TTL for it then.
func deadHolder(host, holder string) bool {
	parts := strings.Split(holder, "/")
	if len(parts) != 3 || parts[0] != host {
		return false
	}
	pid, err := strconv.Atoi(parts[1])
	if err != nil || pid <= 0 {
		return false
	}
	return errors.Is(syscall.Kill(pid, 0), syscall.ESRCH)
}

func leaseTable(name string, gen int) string { return fmt.Sprintf("lease_%s_%d", name, gen) }

func (s *Store) leaseGenerations(ctx context.Context, name string) ([]int, error) {
	rows, err := s.conn.Query(ctx, "SELECT name FROM system.tables WHERE database = ? AND startsWith(name, ?)", s.database, "lease_"+name+"_")
	if err != nil {
		return nil, fmt.Errorf("list lease %s: %w", name, err)
	}
	defer rows.Close()
	prefix := len("lease_" + name + "_")
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

func (s *Store) leaseState(ctx context.Context, name string, gen int) (holder string, expires time.Time, err error) {
	row := s.conn.QueryRow(ctx, "SELECT argMax(holder, expires_at), max(expires_at) FROM "+leaseTable(name, gen))
	if err := row.Scan(&holder, &expires); err != nil {
		if isUnknownTable(err) {
			// Released between the listing and this read: free.
			return "", time.Time{}, nil
		}
		return "", time.Time{}, fmt.Errorf("read lease %s: %w", name, err)
	}
	if expires.Unix() <= 0 {
		// Created but not written yet: its creator is between CREATE TABLE
		// and its first row. Count it as held for a short grace after its
		// creation, or a racing process would take it over and drop it.
		var created time.Time
		err := s.conn.QueryRow(ctx, "SELECT metadata_modification_time FROM system.tables WHERE database = ? AND name = ?",
			s.database, leaseTable(name, gen)).Scan(&created)
		if errors.Is(err, sql.ErrNoRows) {
			return "", time.Time{}, nil // released meanwhile: free
		}
		if err != nil {
			return "", time.Time{}, fmt.Errorf("read lease %s: %w", name, err)
		}
		return "(being taken)", created.Add(leaseCreateGrace), nil
	}
	return holder, expires, nil
}

// leaseCreateGrace is how long a lease table without a row yet counts as
// held: a creator that died in between frees it after this.
const leaseCreateGrace = 30 * time.Second

func isTableExists(err error) bool { return exceptionCode(err) == 57 }

// isUnknownTable reports a table that does not exist or is going away:
// read while another process drops it (releasing its lease), ClickHouse
// says the table is dropped (218) or that its files are gone (1000).
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
