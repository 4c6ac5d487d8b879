package clickhouse

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"

	ch "github.com/ClickHouse/clickhouse-go/v2"
)

// Protocol is how the store talks to ClickHouse.
type Protocol string

// The protocols of clickhouse.protocol.
const (
	// Native is ClickHouse's own TCP protocol (ports 9000, TLS 9440).
	Native Protocol = "native"
	// HTTP is ClickHouse's HTTP interface (ports 8123, TLS 8443), for
	// servers behind an HTTP-only proxy such as chproxy.
	HTTP Protocol = "http"
)

// driver returns clickhouse-go's name for p; "" means Native.
func (p Protocol) driver() (ch.Protocol, error) {
	switch p {
	case "", Native:
		return ch.Native, nil
	case HTTP:
		return ch.HTTP, nil
	}
	return 0, fmt.Errorf("unknown protocol %q: use native or http (clickhouse.protocol)", string(p))
}

// TLSOptions say how to verify the server when Options.Secure is set.
type TLSOptions struct {
	// CAFile is a PEM bundle of the authorities that sign the server's
	// certificate; empty means the system's roots.
	CAFile string
	// ServerName is the name to verify when it is not the host of the
	// address (an address by IP, or a proxy).
	ServerName string
	// InsecureSkipVerify accepts any certificate. The command line warns
	// about it at every start.
	InsecureSkipVerify bool
}

// config returns the tls.Config the driver dials with.
func (o TLSOptions) config() (*tls.Config, error) {
	c := &tls.Config{
		MinVersion:         tls.VersionTLS12,
		ServerName:         o.ServerName,
		InsecureSkipVerify: o.InsecureSkipVerify, //nolint:gosec // the user's explicit choice, warned at every start
	}
	if o.CAFile == "" {
		return c, nil
	}
	pem, err := os.ReadFile(o.CAFile)
	if err != nil {
		return nil, fmt.Errorf("clickhouse.tls.ca_file: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("clickhouse.tls.ca_file %s: no PEM certificate in it (give the CA's certificate, BEGIN CERTIFICATE)", o.CAFile)
	}
	c.RootCAs = pool
	return c, nil
}

// settingValue types a setting of the config for the driver. ClickHouse
// 18.16 over the native protocol takes settings as typed binary values,
// which clickhouse-go writes only for whole numbers and booleans; current
// servers and HTTP take text and parse it. So whole numbers go as numbers,
// true and false as 1 and 0 (every release parses those for a boolean
// setting), anything else as text.
func settingValue(v string) any {
	switch strings.ToLower(v) {
	case "true":
		return 1
	case "false":
		return 0
	}
	if i, err := strconv.Atoi(v); err == nil {
		return i
	}
	return v
}

// connectError turns a driver error into one line naming the address and
// what to do, never the password. A port that is ClickHouse's usual port
// for another protocol or security adds a hint.
func connectError(opts Options, addr string, err error) error {
	hint := portHint(opts, addr)
	var (
		unknownAuthority x509.UnknownAuthorityError
		badHost          x509.HostnameError
		invalid          x509.CertificateInvalidError
		recordHeader     tls.RecordHeaderError
	)
	switch {
	case errors.As(err, &unknownAuthority):
		return fmt.Errorf("clickhouse %s: TLS handshake failed: certificate signed by unknown authority (set clickhouse.tls.ca_file%s)", addr, hint)
	case errors.As(err, &badHost):
		return fmt.Errorf("clickhouse %s: TLS handshake failed: %v (set clickhouse.tls.server_name to a name the certificate holds%s)", addr, badHost.Error(), hint)
	case errors.As(err, &invalid):
		return fmt.Errorf("clickhouse %s: TLS handshake failed: %v (check the server's certificate%s)", addr, invalid.Error(), hint)
	case errors.As(err, &recordHeader), strings.Contains(err.Error(), "server gave HTTP response to HTTPS client"):
		return fmt.Errorf("clickhouse %s: TLS handshake failed: the server does not speak TLS on this port (set clickhouse.secure: false, or use the server's TLS port%s)", addr, hint)
	case strings.Contains(err.Error(), "Unknown setting client_protocol_version"):
		// Servers before 19.x refuse the setting that clickhouse-go's HTTP
		// transport sends with every request, in a message of their own
		// form ("Code: 115, e.displayText() = …") that the driver does not
		// parse into an exception.
		return fmt.Errorf("clickhouse %s: this server is too old for the HTTP protocol (it refuses the setting client_protocol_version that the driver sends): use clickhouse.protocol: native", addr)
	case strings.Contains(err.Error(), "has unsupported data type"):
		// clickhouse-go's words for a setting that an old server's native
		// protocol cannot carry (see settingValue).
		return fmt.Errorf("clickhouse %s: %v (this server takes only whole numbers and true/false in clickhouse.settings over the native protocol)", addr, rootCause(err))
	}
	var exc *ch.Exception
	if errors.As(err, &exc) {
		switch exc.Code {
		case 516, 192, 193:
			return fmt.Errorf("ClickHouse at %s refused the login: %s (check clickhouse.username and clickhouse.password)", addr, exc.Message)
		case 115: // unknown setting
			return fmt.Errorf("clickhouse %s: %s (check clickhouse.settings)", addr, exc.Message)
		}
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("cannot reach ClickHouse at %s: %v (is the server running? check clickhouse.addr in the config%s)", addr, rootCause(err), hint)
	}
	if hint != "" {
		return fmt.Errorf("ClickHouse at %s: %w (%s)", addr, err, strings.TrimPrefix(hint, "; "))
	}
	return fmt.Errorf("ClickHouse at %s: %w", addr, err)
}

// usualPorts are ClickHouse's default ports and what listens on them.
var usualPorts = map[string]struct {
	protocol Protocol
	secure   bool
}{
	"9000": {Native, false},
	"9440": {Native, true},
	"8123": {HTTP, false},
	"8443": {HTTP, true},
}

// portHint returns "; …" naming what the port of addr usually serves when
// that is not what opts ask for, or "".
func portHint(opts Options, addr string) string {
	_, port, err := net.SplitHostPort(strings.Split(addr, ",")[0])
	if err != nil {
		return ""
	}
	usual, ok := usualPorts[port]
	if !ok {
		return ""
	}
	protocol := opts.Protocol
	if protocol == "" {
		protocol = Native
	}
	if usual.protocol == protocol && usual.secure == opts.Secure {
		return ""
	}
	what := map[bool]string{false: "plain", true: "TLS"}[usual.secure]
	return fmt.Sprintf("; port %s is usually ClickHouse's %s %s port: check clickhouse.protocol and clickhouse.secure", port, what, usual.protocol)
}

func rootCause(err error) error {
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return err
		}
		err = next
	}
}
