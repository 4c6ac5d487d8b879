// Package config loads, validates and edits doraflow's YAML configuration
// (the contract in docs/configuration.md): it finds the file, expands
// ${VAR} references, applies defaults and reports every problem at once
// with the file, line and key it concerns.
package config

import (
	"time"

	"doraflow"
)

// Config is a loaded, validated configuration with every default applied.
type Config struct {
	// Path is the file the configuration was read from; "" for defaults.
	Path string

	ClickHouse  ClickHouse
	GitHub      GitHub
	PagerDuty   PagerDuty
	Timezone    string         // IANA name, default "UTC"
	Location    *time.Location // Timezone, loaded
	Services    []Service
	Deployments []doraflow.Block
	Incidents   []doraflow.Block
	Attribution Attribution
	Rework      Rework
	Schedule    Schedule
	Server      Server
	// Methods are the sources' methods the blocks were validated
	// against; the pipeline finds each block's source in them.
	Methods *doraflow.Registry
}

// ClickHouse says where the store is and how to reach it.
type ClickHouse struct {
	Addr     []string // host:port, default ["127.0.0.1:9000"]
	Database string   // default "dora"
	Username string   // default "default"
	Password Secret
	Cluster  string // "" for a single server
	Protocol string // "native" (default) or "http"
	Secure   bool   // TLS, for either protocol
	TLS      ClickHouseTLS
	// Settings are ClickHouse settings sent with every query, each value
	// as the file writes it (a scalar).
	Settings map[string]string
}

// ClickHouseTLS says how to verify the server when Secure is set.
type ClickHouseTLS struct {
	CAFile             string // PEM bundle; "" for the system roots
	ServerName         string // name to verify, when not the host of addr
	InsecureSkipVerify bool   // never verify (warned at every start)
}

// GitHub configures the GitHub extractor.
type GitHub struct {
	BaseURL string // default "https://api.github.com/", always ends in "/"
	Token   Secret
	// Tokens are used after Token, in turn: when one's budget is spent the
	// next takes over (github.tokens).
	Tokens []Secret
	// App, when set, signs in as a GitHub App instead of with tokens.
	App GitHubApp
	// API is how pull requests and their commits are read (github.api):
	// "graphql" (the default) or "rest".
	API         string
	Concurrency int // default 4
}

// PagerDuty configures the PagerDuty extractor.
type PagerDuty struct {
	BaseURL string // default "https://api.pagerduty.com"
	Token   Secret
	// TokenType says what Token is: TokenTypeToken (default), a REST API
	// key sent as "Token token=…", or TokenTypeBearer, a scoped OAuth
	// token sent as "Bearer …", as PagerDuty documents each.
	TokenType string
}

// Values of PagerDuty.TokenType.
const (
	TokenTypeToken  = "token"
	TokenTypeBearer = "bearer"
)

// Service maps repositories and PagerDuty services to a service and team.
type Service struct {
	Name              string
	Team              string
	Repositories      []string // owner/name globs
	PagerDutyServices []string // PagerDuty service ids
}

// Attribution configures incident-to-deployment attribution.
type Attribution struct {
	Window time.Duration // default 168h; 0 means no limit
}

// Rework configures what counts as rework.
type Rework struct {
	Labels []string // default [hotfix, revert]
}

// Schedule configures `doraflow run`.
type Schedule struct {
	Sync          string        // cron expression, default "0 2 * * *"
	Lookback      time.Duration // default 72h
	InitialWindow time.Duration // default 2160h
}

// Server configures the HTTP API of `doraflow run`.
type Server struct {
	Listen string // default "127.0.0.1:8080"
	// Tokens are the bearer tokens the API accepts, each at least
	// MinTokenLength characters; none refuses every request.
	Tokens []Secret
	// ReadTokens are bearer tokens the read API (GET /api/v1/metrics,
	// /api/v1/explain/…) accepts besides Tokens: for dashboards and bots
	// that must not record. The write API refuses them with 403.
	ReadTokens []Secret
	TLS        ServerTLS
}

// ServerTLS makes `doraflow run` serve HTTPS. Both files are set, or
// neither (plain HTTP); they are read when the server starts.
type ServerTLS struct {
	CertFile string // PEM certificate chain, the server's first
	KeyFile  string // PEM private key of the certificate
}

// Secret is a credential. Its String, GoString and marshalled forms never
// show the value, so a Secret may be logged or printed by accident safely.
type Secret string

// Value returns the credential itself, for the one place that sends it.
func (s Secret) Value() string { return string(s) }

// String hides the value.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return "[redacted]"
}

// GoString hides the value from %#v.
func (s Secret) GoString() string { return `"` + s.String() + `"` }

// MarshalText hides the value from encoders (JSON, YAML).
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }
