package metrics

import (
	"math/bits"
	"time"
)

// Level is a DORA performance level: the band of the Accelerate State of
// DevOps 2023 clusters that a metric falls in (docs/metrics.md, "Performance
// levels").
type Level string

// The levels, best first.
const (
	LevelElite  Level = "elite"
	LevelHigh   Level = "high"
	LevelMedium Level = "medium"
	LevelLow    Level = "low"
)

// rank orders levels from low (0) to elite (3).
func (l Level) rank() int {
	switch l {
	case LevelElite:
		return 3
	case LevelHigh:
		return 2
	case LevelMedium:
		return 1
	}
	return 0
}

// Levels classifies each metric of a row; a nil level means the metric is
// null. The JSON names are those of the contract's "levels" object.
type Levels struct {
	DeploymentFrequency *Level `json:"deployment_frequency"`
	LeadTime            *Level `json:"lead_time"`
	ChangeFailureRate   *Level `json:"change_failure_rate"`
	TimeToRestore       *Level `json:"time_to_restore"`
	// Overall is the lowest of the other levels that are not nil.
	Overall *Level `json:"overall"`
}

// Band limits, in seconds, of lead time and time to restore.
const (
	hourSeconds  = 3600
	daySeconds   = 86400
	weekSeconds  = 7 * daySeconds
	monthSeconds = 30 * daySeconds
)

// levelsOf classifies r, whose deployments per day divide by span.
func levelsOf(r *Row, span time.Duration) Levels {
	var l Levels
	df := frequencyLevel(r.DeploymentDays, span)
	l.DeploymentFrequency = &df
	if r.LeadTimeMedian != nil {
		lt := durationLevel(*r.LeadTimeMedian, daySeconds, weekSeconds, monthSeconds)
		l.LeadTime = &lt
	}
	if r.ChangeFailureRate != nil {
		cfr := failureLevel(r.FailedDeployments, r.Deployments)
		l.ChangeFailureRate = &cfr
	}
	if r.TimeToRestoreMedian != nil {
		ttr := durationLevel(*r.TimeToRestoreMedian, hourSeconds, daySeconds, weekSeconds)
		l.TimeToRestore = &ttr
	}
	for _, m := range []*Level{l.DeploymentFrequency, l.LeadTime, l.ChangeFailureRate, l.TimeToRestore} {
		if m != nil && (l.Overall == nil || m.rank() < l.Overall.rank()) {
			l.Overall = m
		}
	}
	return l
}

// frequencyLevel classifies the share deploymentDays ÷ days of a span,
// where days = span in seconds ÷ 86 400. The comparisons run in 128-bit
// integers on nanoseconds, so whole-day windows meet the bands exactly
// (5 deployment days of 7 is elite; 1 of 30 is medium).
func frequencyLevel(deploymentDays int64, span time.Duration) Level {
	if deploymentDays <= 0 {
		return LevelLow
	}
	dd, ns, day := uint64(deploymentDays), uint64(span), uint64(24*time.Hour)
	switch {
	case mulAtLeast(dd*7, day, 5, ns): // dd/days ≥ 5/7
		return LevelElite
	case mulAtLeast(dd*7, day, 1, ns): // dd/days ≥ 1/7
		return LevelHigh
	case mulAtLeast(dd*30, day, 1, ns): // dd/days ≥ 1/30
		return LevelMedium
	}
	return LevelLow
}

// mulAtLeast reports whether a·b ≥ c·d without overflow.
func mulAtLeast(a, b, c, d uint64) bool {
	hi1, lo1 := bits.Mul64(a, b)
	hi2, lo2 := bits.Mul64(c, d)
	return hi1 > hi2 || hi1 == hi2 && lo1 >= lo2
}

// durationLevel classifies a median in seconds against the upper bounds
// (exclusive) of the elite, high and medium bands.
func durationLevel(median, elite, high, medium float64) Level {
	switch {
	case median < elite:
		return LevelElite
	case median < high:
		return LevelHigh
	case median < medium:
		return LevelMedium
	}
	return LevelLow
}

// failureLevel classifies failed ÷ deployments (deployments > 0) in
// integers, so a rate of exactly 0.05 is elite rather than a float away.
func failureLevel(failed, deployments int64) Level {
	switch {
	case failed*100 <= 5*deployments:
		return LevelElite
	case failed*100 <= 10*deployments:
		return LevelHigh
	case failed*100 <= 15*deployments:
		return LevelMedium
	}
	return LevelLow
}
