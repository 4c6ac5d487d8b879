// Package clickhouse is the only part of doraflow that speaks to
// ClickHouse: it applies the embedded migrations, stages rows in batches,
// promotes staging into the durable fact tables, keeps the metric events
// and reads the day-grain rollups back.
//
// It runs against ClickHouse 18.16 and current releases alike, so every
// statement sticks to the SQL both understand (see package doraflow/sql).
package clickhouse

import (
	"context"
	"crypto/tls"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// Options say where the store is and how to reach it.
type Options struct {
	Addr     []string
	Database string
	Username string
	Password string
	// Cluster names a cluster of the servers' remote_servers: Migrate then
	// creates every table ON CLUSTER with a Replicated engine, and the
	// store keeps to one server (see cluster.go and docs/scaling.md).
	Cluster string
	// Protocol is Native (the default when empty) or HTTP.
	Protocol Protocol
	// Secure turns on TLS, for either protocol, verified as TLS says.
	Secure bool
	TLS    TLSOptions
	// Settings are ClickHouse settings sent with every query, as the
	// config writes them; see settingValue for how they are typed.
	Settings    map[string]string
	DialTimeout time.Duration // default 5s
}

// Store is a connection to doraflow's ClickHouse database.
type Store struct {
	conn     driver.Conn
	database string
	addr     string
	cluster  string
	opts     Options // as opened, for the hints of connectError
	// id names this store's process to the server ("machine/pid/nonce"):
	// every query carries it (see clientProduct), and a lease holder is
	// known by it.
	id      string
	machine string
	// leaseServer is false on a cluster when the store talks to a server
	// other than the first address, which holds the leases.
	leaseServer bool

	mu          sync.Mutex
	lastVersion uint64
}

// Open connects to ClickHouse, creating the database when it does not
// exist yet, and checks that the server answers.
func Open(ctx context.Context, opts Options) (*Store, error) {
	if opts.DialTimeout == 0 {
		opts.DialTimeout = 5 * time.Second
	}
	addr := strings.Join(opts.Addr, ",")
	machine := machineID()
	id := fmt.Sprintf("%s/%d/%d", machine, os.Getpid(), time.Now().UnixNano())
	// The database may not exist yet, and a connection whose default
	// database is missing fails its handshake: create it first.
	var boot driver.Conn
	var err error
	leaseServer := true
	if opts.Cluster == "" {
		boot, err = dial(ctx, opts, "", id)
	} else {
		// Keep to the first server that answers (see cluster.go).
		var picked string
		boot, picked, err = dialFirst(ctx, opts, "", id)
		if err == nil {
			leaseServer = picked == opts.Addr[0]
			opts.Addr, addr = []string{picked}, picked
		}
	}
	if err != nil {
		return nil, connectError(opts, addr, err)
	}
	err = boot.Exec(ctx, "CREATE DATABASE IF NOT EXISTS "+quoteIdent(opts.Database))
	boot.Close()
	if err != nil {
		return nil, connectError(opts, addr, err)
	}
	conn, err := dial(ctx, opts, opts.Database, id)
	if err != nil {
		return nil, connectError(opts, addr, err)
	}
	return &Store{conn: conn, database: opts.Database, addr: addr, cluster: opts.Cluster, opts: opts, id: id, machine: machine, leaseServer: leaseServer}, nil
}

// clientProduct names doraflow in the client name (native) and the
// User-Agent (HTTP) of every query, followed by the store's id, so that
// system.processes tells which process a running query belongs to.
const clientProduct = "doraflow"

func dial(ctx context.Context, opts Options, database, id string) (driver.Conn, error) {
	settings := ch.Settings{}
	for k, v := range opts.Settings {
		settings[k] = settingValue(v)
	}
	if opts.Cluster != "" {
		// Replicated tables drop an inserted block identical to a recent
		// one. doraflow never needs that (repeats are made harmless by
		// versions and content hashes), and it is wrong for dora_daily:
		// two promotes can feed dora_daily_mv identical blocks of +1s that
		// must both count. 18.16 does not deduplicate blocks a view
		// inserts, but releases after it did (ClickHouse issue #5274)
		// until 24.7; turning it off keeps every release as exact as a
		// single server.
		settings["insert_deduplicate"] = 0
	}
	protocol, err := opts.Protocol.driver()
	if err != nil {
		return nil, err
	}
	var tlsConf *tls.Config
	if opts.Secure {
		if tlsConf, err = opts.TLS.config(); err != nil {
			return nil, err
		}
	}
	conn, err := ch.Open(&ch.Options{
		Addr:       opts.Addr,
		Protocol:   protocol,
		TLS:        tlsConf,
		Auth:       ch.Auth{Database: database, Username: opts.Username, Password: opts.Password},
		ClientInfo: ch.ClientInfo{Products: []struct{ Name, Version string }{{Name: clientProduct, Version: id}}},
		// Every timestamp doraflow stores is UTC; days in the config time
		// zone are computed by doraflow, never by the server's zone.
		Settings:    settings,
		DialTimeout: opts.DialTimeout,
		ReadTimeout: 10 * time.Minute,
	})
	if err != nil {
		return nil, err
	}
	if err := conn.Ping(ctx); err != nil {
		conn.Close()
		return nil, err
	}
	return conn, nil
}

// Close releases the connection.
func (s *Store) Close() error { return s.conn.Close() }

// Ping checks that the server answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.conn.Ping(ctx); err != nil {
		return connectError(s.opts, s.addr, err)
	}
	return nil
}

// Database returns the name of the database the store works in.
func (s *Store) Database() string { return s.database }

// NextVersion returns a strictly increasing version stamp: nanoseconds of
// the wall clock, bumped past the last one handed out so two rows written
// in the same nanosecond still order (argMax is not deterministic on ties).
func (s *Store) NextVersion() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	v := uint64(time.Now().UnixNano())
	if v <= s.lastVersion {
		v = s.lastVersion + 1
	}
	s.lastVersion = v
	return v
}

// quoteIdent quotes an identifier that config validation already limited to
// [A-Za-z_][A-Za-z0-9_]*; the backquotes keep reserved words working.
func quoteIdent(name string) string {
	return "`" + strings.ReplaceAll(name, "`", "") + "`"
}

// DropDatabase drops a whole database, on every server of the cluster if
// the store has one; tests use it to clean up.
func (s *Store) DropDatabase(ctx context.Context, name string) error {
	stmt := "DROP DATABASE IF EXISTS " + quoteIdent(name)
	if s.cluster != "" {
		stmt += " ON CLUSTER " + quoteIdent(s.cluster)
	}
	return s.conn.Exec(ctx, stmt)
}

// insertRow inserts one row through a batch: the native protocol sends
// INSERT data as blocks, and old servers wait for a block that an inline
// VALUES list never sends.
func (s *Store) insertRow(ctx context.Context, insert string, values ...any) error {
	b, err := s.conn.PrepareBatch(ctx, insert)
	if err != nil {
		return err
	}
	if err := b.Append(values...); err != nil {
		_ = b.Abort()
		return err
	}
	return b.Send()
}

// machineID names the machine and process namespace this process runs
// in: its hostname, the kernel's boot id and its pid namespace, so that
// two containers or hosts with one hostname tell apart whose process ids
// they can check. Where /proc lacks them (not Linux), the hostname alone.
func machineID() string {
	host, _ := os.Hostname()
	id := strings.ReplaceAll(host, "/", "_")
	if raw, err := os.ReadFile("/proc/sys/kernel/random/boot_id"); err == nil {
		boot := strings.TrimSpace(string(raw))
		id += "~" + boot[:min(8, len(boot))]
	}
	if ns, err := os.Readlink("/proc/self/ns/pid"); err == nil {
		id += "~" + strings.Trim(strings.TrimPrefix(ns, "pid:"), "[]")
	}
	return id
}
