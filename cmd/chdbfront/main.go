// Command chdbfront is test tooling: it serves ClickHouse's HTTP interface
// in front of chDB's in-process engine (libchdb), so that doraflow's tests
// run on a current ClickHouse without installing a server. Clients use
// clickhouse-go's HTTP transport (clickhouse.Options{Protocol:
// clickhouse.HTTP}). scripts/chdb.sh builds, starts and stops it.
//
//	chdbfront --lib libchdb.so --path DATADIR --listen 127.0.0.1:PORT
//	          [--tls-listen 127.0.0.1:PORT --tls-cert FILE --tls-key FILE]
//	chdbfront --ping 127.0.0.1:PORT    exit 0 when a front answers there
//
// It logs one line when it is ready and stops cleanly on SIGTERM or
// SIGINT.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"doraflow/load/clickhouse/chdbfront"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "chdbfront:", err)
		os.Exit(1)
	}
}

type options struct {
	lib, path           string
	listen, tlsListen   string
	tlsCert, tlsKey     string
	ping                string
	shutdownGracePeriod time.Duration
}

func parseFlags(args []string) (options, error) {
	var o options
	fs := flag.NewFlagSet("chdbfront", flag.ContinueOnError)
	fs.StringVar(&o.lib, "lib", os.Getenv("CHDB_LIB_PATH"), "libchdb.so to load (default $CHDB_LIB_PATH)")
	fs.StringVar(&o.path, "path", "", "chDB's data directory (created if missing)")
	fs.StringVar(&o.listen, "listen", "", "address for HTTP, e.g. 127.0.0.1:19050")
	fs.StringVar(&o.tlsListen, "tls-listen", "", "address for HTTPS (needs --tls-cert and --tls-key)")
	fs.StringVar(&o.tlsCert, "tls-cert", "", "PEM certificate for HTTPS")
	fs.StringVar(&o.tlsKey, "tls-key", "", "PEM private key for HTTPS")
	fs.StringVar(&o.ping, "ping", "", "only check that a front answers /ping at this HTTP address, and exit")
	fs.DurationVar(&o.shutdownGracePeriod, "shutdown-grace", 30*time.Second, "how long to let running queries finish on SIGTERM")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if o.ping != "" {
		return o, nil
	}
	switch {
	case o.lib == "":
		return o, errors.New("--lib or CHDB_LIB_PATH is required (scripts/chdb.sh fetch gets libchdb)")
	case o.path == "":
		return o, errors.New("--path is required")
	case o.listen == "" && o.tlsListen == "":
		return o, errors.New("--listen or --tls-listen is required")
	case o.tlsListen != "" && (o.tlsCert == "" || o.tlsKey == ""):
		return o, errors.New("--tls-listen needs --tls-cert and --tls-key")
	}
	return o, nil
}

func run(args []string) error {
	o, err := parseFlags(args)
	if err != nil {
		return err
	}
	if o.ping != "" {
		return ping(o.ping)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()

	// Listen before starting the engine: a taken port is the usual
	// failure, and it is quicker to report without booting chDB.
	type endpoint struct {
		ln  net.Listener
		tls bool
	}
	var endpoints []endpoint
	for _, e := range []struct {
		addr string
		tls  bool
	}{{o.listen, false}, {o.tlsListen, true}} {
		if e.addr == "" {
			continue
		}
		ln, err := net.Listen("tcp", e.addr)
		if err != nil {
			return err
		}
		defer ln.Close()
		endpoints = append(endpoints, endpoint{ln, e.tls})
	}

	engine, err := chdbfront.Open(o.lib, o.path)
	if err != nil {
		return err
	}
	defer engine.Close()

	srv := &http.Server{
		Handler: chdbfront.Handler(engine),
		// No read timeout: a batch insert's body may take a while.
		ReadHeaderTimeout: 10 * time.Second,
	}
	serveErr := make(chan error, len(endpoints))
	var urls []string
	for _, e := range endpoints {
		if e.tls {
			urls = append(urls, "https://"+e.ln.Addr().String())
			go func() { serveErr <- srv.ServeTLS(e.ln, o.tlsCert, o.tlsKey) }()
		} else {
			urls = append(urls, "http://"+e.ln.Addr().String())
			go func() { serveErr <- srv.Serve(e.ln) }()
		}
	}
	log.Printf("chdbfront: ClickHouse %s (chDB) ready on %s, data in %s", engine.Version(), strings.Join(urls, " and "), o.path)

	select {
	case <-ctx.Done():
		log.Printf("chdbfront: stopping")
	case err := <-serveErr:
		srv.Close()
		return err
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), o.shutdownGracePeriod)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		srv.Close()
	}
	if err := engine.Close(); err != nil {
		return err
	}
	log.Printf("chdbfront: stopped")
	return nil
}

// ping exits 0 when a front (or a ClickHouse server) answers /ping at addr,
// so that scripts need neither curl nor bash's /dev/tcp.
func ping(addr string) error {
	// No proxy: the front is local.
	client := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{}}
	res, err := client.Get("http://" + addr + "/ping")
	if err != nil {
		return err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, 64))
	if err != nil {
		return err
	}
	if res.StatusCode != http.StatusOK || string(body) != "Ok.\n" {
		return fmt.Errorf("%s/ping answered %s %q", addr, res.Status, body)
	}
	return nil
}
