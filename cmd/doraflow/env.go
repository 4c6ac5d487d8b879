package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"doraflow"
	"doraflow/config"
	"doraflow/extract/github"
	"doraflow/extract/pagerduty"
	"doraflow/load/clickhouse"
	"doraflow/pipeline"
	"doraflow/sources"
)

// env is what every command shares: output streams, the environment and
// the global flags.
type env struct {
	stdout, stderr io.Writer
	getenv         func(string) (string, bool)
	configPath     string
	logLevel       string
	// clock is the current time for the commands that read a window up
	// to now (preview); tests set it so that the dates printed are the
	// same on every run. Nil means time.Now.
	clock func() time.Time
}

// now returns the current time from the env's clock.
func (e *env) now() time.Time {
	if e.clock == nil {
		return time.Now()
	}
	return e.clock()
}

// globalFlags consumes --config and --log-level given before the command.
func (e *env) globalFlags(args []string) ([]string, error) {
	fs := flag.NewFlagSet("doraflow", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	e.addGlobal(fs)
	// --version is what most tools answer to: the same as `doraflow version`.
	showVersion := fs.Bool("version", false, "print the version")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return []string{"help"}, nil
		}
		return nil, usageErr("%v (run 'doraflow help')", err)
	}
	if *showVersion {
		return []string{"version"}, nil
	}
	return fs.Args(), nil
}

func (e *env) addGlobal(fs *flag.FlagSet) {
	fs.StringVar(&e.configPath, "config", e.configPath, "config file (default $DORAFLOW_CONFIG, else ./doraflow.yaml)")
	fs.StringVar(&e.logLevel, "log-level", e.logLevel, "log level: debug, info, warn, error")
}

// flags returns a flag set for a command that also takes the global flags.
func (e *env) flags(name, synopsis string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: doraflow %s\n\nFlags:\n", synopsis)
		fs.PrintDefaults()
	}
	e.addGlobal(fs)
	return fs
}

// parse parses a command's flags; bad flags are a one-line usage error.
func (e *env) parse(fs *flag.FlagSet, args []string) error {
	fs.SetOutput(io.Discard)
	err := fs.Parse(args)
	fs.SetOutput(e.stderr)
	if errors.Is(err, flag.ErrHelp) {
		// Help that was asked for is output: stdout, exit status 0.
		fs.SetOutput(e.stdout)
		fs.Usage()
		return &exitError{code: 0}
	}
	if err != nil {
		return usageErr("%s: %v (run 'doraflow %s --help')", fs.Name(), err, fs.Name())
	}
	if fs.NArg() > 0 {
		return usageErr("%s: unexpected argument %q (run 'doraflow %s --help')", fs.Name(), fs.Arg(0), fs.Name())
	}
	return nil
}

// configFile returns the path of the config file: --config, else
// $DORAFLOW_CONFIG, else ./doraflow.yaml.
func (e *env) configFile() string {
	flagPath := e.configPath
	if flagPath == "" {
		if v, ok := e.getenv(config.EnvVar); ok {
			flagPath = v
		}
	}
	path, _ := config.Find(flagPath)
	return path
}

// loadConfig finds and loads the config. Without --config, without
// $DORAFLOW_CONFIG and without ./doraflow.yaml the defaults apply; a file
// that was asked for must exist. Problems are exit status 2.
func (e *env) loadConfig() (*config.Config, error) {
	path := e.configFile()
	if e.configPath == "" && path == config.DefaultPath {
		if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
			return defaultConfig(), nil
		}
	}
	cfg, err := config.LoadWithEnv(path, sources.Registry(), e.getenv)
	if err != nil {
		return nil, &exitError{code: 2, err: err}
	}
	return cfg, nil
}

// logger returns the logger: human-readable on a terminal, JSON lines
// otherwise, always on stderr so stdout stays clean for --format json.
func (e *env) logger() (zerolog.Logger, error) {
	level := zerolog.InfoLevel
	if e.logLevel != "" {
		l, err := zerolog.ParseLevel(strings.ToLower(e.logLevel))
		if err != nil {
			return zerolog.Nop(), usageErr("--log-level %q: use debug, info, warn or error", e.logLevel)
		}
		level = l
	}
	var w io.Writer = e.stderr
	if isTerminal(e) {
		w = zerolog.ConsoleWriter{Out: e.stderr, TimeFormat: time.TimeOnly}
	}
	return zerolog.New(w).Level(level).With().Timestamp().Logger(), nil
}

// open connects to the config's ClickHouse, warning first when it is told
// not to verify the server's certificate.
func (e *env) open(ctx context.Context, cfg *config.Config) (*clickhouse.Store, error) {
	c := cfg.ClickHouse
	if c.Secure && c.TLS.InsecureSkipVerify {
		if log, err := e.logger(); err == nil {
			log.Warn().Strs("addr", c.Addr).Msg("clickhouse.tls.insecure_skip_verify is true: the server's certificate is not verified, so anyone on the path can read and change what doraflow sends and stores; set clickhouse.tls.ca_file instead")
		}
	}
	return clickhouse.Open(ctx, clickhouse.Options{
		Addr:     c.Addr,
		Database: c.Database,
		Username: c.Username,
		Password: c.Password.Value(),
		Cluster:  c.Cluster,
		Protocol: clickhouse.Protocol(c.Protocol),
		Secure:   c.Secure,
		TLS:      clickhouse.TLSOptions{CAFile: c.TLS.CAFile, ServerName: c.TLS.ServerName, InsecureSkipVerify: c.TLS.InsecureSkipVerify},
		Settings: c.Settings,
	})
}

// openMigrated opens the store of cfg and checks that its schema has
// every migration this doraflow needs, so that a command run before
// `doraflow migrate` says to run it.
func (e *env) openMigrated(ctx context.Context, cfg *config.Config) (*clickhouse.Store, error) {
	store, err := e.open(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if err := store.CheckSchema(ctx); err != nil {
		store.Close()
		return nil, err
	}
	return store, nil
}

// pipeline loads the config, connects and returns a pipeline with the
// sources the config has credentials for; the caller closes the store.
func (e *env) pipeline(ctx context.Context, tel *pipeline.Telemetry) (*pipeline.Pipeline, *clickhouse.Store, *config.Config, error) {
	cfg, err := e.loadConfig()
	if err != nil {
		return nil, nil, nil, err
	}
	log, err := e.logger()
	if err != nil {
		return nil, nil, nil, err
	}
	store, err := e.openMigrated(ctx, cfg)
	if err != nil {
		return nil, nil, nil, err
	}
	opts, err := extractors(cfg, store, log, tel)
	if err != nil {
		store.Close()
		return nil, nil, nil, err
	}
	return pipeline.New(cfg, store, log, append(opts, pipeline.WithTelemetry(tel))...), store, cfg, nil
}

// extractors builds the extractors the config needs: PagerDuty when it has a
// token, GitHub when a block reads GitHub (a token is strongly advised:
// anonymous requests get 60 an hour).
func extractors(cfg *config.Config, store *clickhouse.Store, log zerolog.Logger, tel *pipeline.Telemetry) ([]pipeline.Option, error) {
	var opts []pipeline.Option
	if cfg.PagerDuty.Token != "" {
		pd, err := pagerduty.New(pagerduty.Options{
			BaseURL: cfg.PagerDuty.BaseURL, Token: cfg.PagerDuty.Token.Value(), OAuth: cfg.PagerDuty.TokenType == config.TokenTypeBearer, Log: log,
			Base: tel.Transport(string(doraflow.SourcePagerDuty), nil),
		})
		if err != nil {
			return nil, &exitError{code: 2, err: err}
		}
		opts = append(opts, pipeline.WithExtractor(doraflow.SourcePagerDuty, pd))
	}
	if signsInToGitHub(cfg) || readsGitHub(cfg) {
		gh, err := githubSource(cfg, store, log, tel)
		if err != nil {
			return nil, err
		}
		tel.WatchBudgets(string(doraflow.SourceGitHub), gh.Budgets)
		opts = append(opts, pipeline.WithExtractor(doraflow.SourceGitHub, gh))
	}
	return opts, nil
}

// signsInToGitHub reports whether the config has GitHub credentials.
func signsInToGitHub(cfg *config.Config) bool {
	return len(cfg.GitHub.AllTokens()) > 0 || cfg.GitHub.App.Set()
}

// githubSource builds the GitHub extractor of cfg; store may be nil when
// nothing is read (its ETags and pending runs live there).
func githubSource(cfg *config.Config, store *clickhouse.Store, log zerolog.Logger, tel *pipeline.Telemetry) (*github.Source, error) {
	opts := github.Options{
		BaseURL: cfg.GitHub.BaseURL, Token: cfg.GitHub.Token.Value(), Tokens: secretValues(cfg.GitHub.Tokens), App: githubApp(cfg.GitHub.App),
		API: cfg.GitHub.API, Concurrency: cfg.GitHub.Concurrency, Log: log,
		Base: tel.Transport(string(doraflow.SourceGitHub), nil),
	}
	if store != nil {
		opts.ETags, opts.Pending = pipeline.NewETags(store), pipeline.NewPending(store)
	}
	gh, err := github.New(opts)
	if err != nil {
		return nil, &exitError{code: 2, err: err}
	}
	return gh, nil
}

// secretValues returns the credentials themselves, for the one place
// that sends them.
func secretValues(ss []config.Secret) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = s.Value()
	}
	return out
}

// githubApp is the extractor's GitHub App sign-in of the config, nil
// when it signs in with tokens.
func githubApp(a config.GitHubApp) *github.App {
	if !a.Set() {
		return nil
	}
	return &github.App{ID: a.ID, InstallationID: a.InstallationID, PrivateKey: []byte(a.PrivateKey.Value())}
}

// readsGitHub reports whether a deployment block reads GitHub.
func readsGitHub(cfg *config.Config) bool {
	return slices.ContainsFunc(cfg.Deployments, func(b doraflow.Block) bool {
		return cfg.Methods.SourceOf(b.Method) == doraflow.SourceGitHub
	})
}

// defaultConfig is the configuration of an empty file, knowing the
// methods of doraflow's sources.
func defaultConfig() *config.Config {
	cfg := config.Default()
	cfg.Methods = sources.Registry()
	return cfg
}
