package pipeline

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/go-co-op/gocron/v2"
	"github.com/jonboulle/clockwork"

	"doraflow"
	"doraflow/extract/custom"
)

// What `doraflow run` serves, as the pipeline sees it: the work that goes
// on in the background (StartWork: the sync schedule and the promoter),
// the recorder behind the write API (Work.Recorder), the health of the
// store (Health) and the counts (Telemetry). The HTTP server in front of
// them — listener, TLS, timeouts, routes, shutdown — is the command's
// (cmd/doraflow/server.go).

// WorkOptions configure the background work of `doraflow run`.
type WorkOptions struct {
	// Clock drives the schedule; tests pass a fake one. Default: real time.
	Clock clockwork.Clock
	// StopTimeout bounds how long Stop waits for a scheduled sync that is
	// running, default 30s. A sync still running then is abandoned: it is
	// idempotent and the next run repeats it.
	StopTimeout time.Duration
	// PromoteDelay batches records that arrive close together into one
	// promote, default 1s.
	PromoteDelay time.Duration
}

// Work is the background work of `doraflow run`: a sync on the
// schedule.sync cron, and a promote shortly after records arrive through
// its Recorder. Stop ends it.
type Work struct {
	p            *Pipeline
	sched        gocron.Scheduler
	cancel       context.CancelFunc
	promoterDone chan struct{}
	recorder     *kickingRecorder
}

// StartWork schedules a sync on the schedule.sync cron in the config's
// time zone — never two syncs at once, in this process (the scheduler's
// singleton mode) or across processes (the sync lease) — and starts the
// promoter that the records of Work.Recorder kick. The work ignores the
// end of ctx (it keeps only its values) and runs until Stop: the server
// in front of it stops taking requests first, so that no record arrives
// after the promoter is gone. A cron it cannot read is an error that
// names schedule.sync.
func (p *Pipeline) StartWork(ctx context.Context, opts WorkOptions) (*Work, error) {
	if opts.Clock == nil {
		opts.Clock = clockwork.NewRealClock()
	}
	if opts.StopTimeout == 0 {
		opts.StopTimeout = 30 * time.Second
	}
	if opts.PromoteDelay == 0 {
		opts.PromoteDelay = time.Second
	}
	work, cancel := context.WithCancel(context.WithoutCancel(ctx))
	sched, err := gocron.NewScheduler(gocron.WithLocation(p.cfg.Location), gocron.WithClock(opts.Clock),
		gocron.WithStopTimeout(opts.StopTimeout))
	if err != nil {
		cancel()
		return nil, fmt.Errorf("scheduler: %w", err)
	}
	_, err = sched.NewJob(gocron.CronJob(p.cfg.Schedule.Sync, false),
		gocron.NewTask(func() { p.scheduledSync(work) }),
		gocron.WithName("sync"),
		// A sync still running when the next is due is not started twice.
		gocron.WithSingletonMode(gocron.LimitModeReschedule))
	if err != nil {
		cancel()
		_ = sched.Shutdown() // never started: it only releases its goroutines
		return nil, fmt.Errorf("schedule.sync %q: %w", p.cfg.Schedule.Sync, err)
	}

	kick := make(chan struct{}, 1)
	w := &Work{p: p, sched: sched, cancel: cancel, promoterDone: make(chan struct{}),
		recorder: &kickingRecorder{p: p, kick: kick, slots: make(chan struct{}, maxStagingAtOnce)}}
	go func() {
		defer close(w.promoterDone)
		// Checked here rather than before starting: a ClickHouse that is
		// slow or down must not hold up the server (its /healthz says so).
		p.kickIfStale(work, kick)
		p.promoter(work, kick, opts.PromoteDelay)
	}()
	sched.Start()
	return w, nil
}

// Recorder stages the records of the write API (custom.NewHandler) and
// kicks the promoter, which promotes them within WorkOptions.PromoteDelay.
// It stages a few records at a time (maxStagingAtOnce); the others wait
// for a slot, or until their request ends.
func (w *Work) Recorder() custom.Recorder { return w.recorder }

// Stop ends the work: the running sync and promote see their context end,
// the schedule waits up to WorkOptions.StopTimeout for the sync, and Stop
// waits for the promoter until ctx ends. Promote and sync are idempotent,
// so what they leave unfinished is repeated by the next run. Stop the
// server in front first: records that arrive after Stop are staged, but
// nothing promotes them until the next promote.
func (w *Work) Stop(ctx context.Context) {
	w.cancel()
	if err := w.sched.Shutdown(); err != nil && !errors.Is(err, gocron.ErrStopSchedulerTimedOut) {
		w.p.log.Warn().Err(err).Msg("scheduler stop")
	}
	select {
	case <-w.promoterDone:
	case <-ctx.Done():
	}
}

// Health reports whether the pipeline can work: nil when ClickHouse,
// which every sync, record and promote needs, answers before ctx ends.
func (p *Pipeline) Health(ctx context.Context) error { return p.store.Ping(ctx) }

// scheduledSync runs one scheduled sync and logs its outcome: a scheduled
// job has no caller to return an error to.
func (p *Pipeline) scheduledSync(ctx context.Context) {
	res, err := p.Sync(ctx, SyncOptions{})
	switch {
	case errors.Is(err, ErrBusy):
		p.log.Warn().Err(err).Msg("scheduled sync skipped")
	case err != nil:
		p.log.Error().Err(err).Msg("scheduled sync finished with errors")
	default:
		p.log.Info().Int("deployments", res.Deployments).Int("changes", res.Changes).Int("incidents", res.Incidents).
			Int("events", res.Promote.Events).Msg("scheduled sync done")
	}
}

// kickIfStale has the promoter run at once when the config changed, in a
// setting that shapes the events, since they were built: the readers
// would otherwise read the old config's numbers until the next scheduled
// sync, which may be a day away.
func (p *Pipeline) kickIfStale(ctx context.Context, kick chan<- struct{}) {
	if p.store == nil {
		// A pipeline without a store (the HTTP server's tests without
		// ClickHouse) has nothing stored to rebuild.
		return
	}
	changed, err := p.StaleSettings(ctx)
	if err != nil {
		// The scheduled sync rebuilds all the same; say why it may wait.
		p.log.Warn().Err(err).Msg("could not tell whether the config changed; the next sync rebuilds if it did")
		return
	}
	if len(changed) > 0 {
		select {
		case kick <- struct{}{}:
		default: // a record already asked for a promote
		}
	}
}

// promoter promotes after records arrived, batching those that arrive
// within delay of each other.
func (p *Pipeline) promoter(ctx context.Context, kick <-chan struct{}, delay time.Duration) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-kick:
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(delay):
		}
		if _, err := p.promoteLogged(ctx, "api"); err != nil && ctx.Err() == nil {
			p.log.Error().Err(err).Msg("promote after API records failed; the next promote retries it")
		}
	}
}

// maxStagingAtOnce bounds the API records being staged at once. Each one
// holds a pooled ClickHouse connection while it is staged; unbounded, a
// flood of records took every connection of the pool (clickhouse-go keeps
// 10), and /healthz, promote and the scheduled sync waited behind it until
// /healthz answered 503. Records past the bound wait for a slot.
const maxStagingAtOnce = 4

// kickingRecorder stages API records and asks the promoter to run.
type kickingRecorder struct {
	p     *Pipeline
	kick  chan<- struct{}
	slots chan struct{} // one per record being staged
}

func (k *kickingRecorder) StageDeploymentRecord(ctx context.Context, r custom.DeploymentRecord) (d doraflow.Deployment, created bool, err error) {
	if err := k.acquire(ctx); err != nil {
		return d, false, err
	}
	defer k.release()
	d, created, err = k.p.StageDeploymentRecord(ctx, r)
	k.done(err, "deployments")
	return d, created, err
}

func (k *kickingRecorder) StageIncidentRecord(ctx context.Context, r custom.IncidentRecord) (in doraflow.Incident, created bool, warnings []custom.Warning, err error) {
	if err := k.acquire(ctx); err != nil {
		return in, false, nil, err
	}
	defer k.release()
	in, created, warnings, err = k.p.StageIncidentRecord(ctx, r)
	k.done(err, "incidents")
	return in, created, warnings, err
}

func (k *kickingRecorder) RetractDeploymentRecord(ctx context.Context, id string) (d doraflow.Deployment, err error) {
	if err := k.acquire(ctx); err != nil {
		return d, err
	}
	defer k.release()
	d, err = k.p.RetractDeploymentRecord(ctx, id)
	k.done(err, "deployments")
	return d, err
}

func (k *kickingRecorder) RetractIncidentRecord(ctx context.Context, id string) (in doraflow.Incident, err error) {
	if err := k.acquire(ctx); err != nil {
		return in, err
	}
	defer k.release()
	in, err = k.p.RetractIncidentRecord(ctx, id)
	k.done(err, "incidents")
	return in, err
}

// acquire waits for a staging slot, or until the caller gives up.
func (k *kickingRecorder) acquire(ctx context.Context) error {
	select {
	case k.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("waiting to stage the record: %w", ctx.Err())
	}
}

func (k *kickingRecorder) release() { <-k.slots }

func (k *kickingRecorder) done(err error, entity string) {
	if err != nil {
		return
	}
	k.p.telemetry.staged(entity, 1)
	select {
	case k.kick <- struct{}{}:
	default: // a promote is already due
	}
}
