package metrics

import (
	"testing"
	"time"
)

const day = 24 * time.Hour

func TestFrequencyLevel(t *testing.T) {
	tests := []struct {
		name string
		days int64
		span time.Duration
		want Level
	}{
		{"no deployments", 0, 7 * day, LevelLow},
		{"5 of 7 days is exactly 5/7", 5, 7 * day, LevelElite},
		{"4 of 7 days", 4, 7 * day, LevelHigh},
		{"10 of 14 days is exactly 5/7", 10, 14 * day, LevelElite},
		{"9 of 14 days", 9, 14 * day, LevelHigh},
		{"65 of 91 days is exactly 5/7", 65, 91 * day, LevelElite},
		{"64 of 91 days", 64, 91 * day, LevelHigh},
		{"1 of 7 days is exactly 1/7", 1, 7 * day, LevelHigh},
		{"1 of 7 days and a second", 1, 7*day + time.Second, LevelMedium},
		{"1 of 8 days", 1, 8 * day, LevelMedium},
		{"1 of 30 days is exactly 1/30", 1, 30 * day, LevelMedium},
		{"1 of 30 days and a nanosecond", 1, 30*day + 1, LevelLow},
		{"1 of 31 days", 1, 31 * day, LevelLow},
		{"3 of 90 days is exactly 1/30", 3, 90 * day, LevelMedium},
		// Days are seconds ÷ 86 400: the spring week is 6.9583 days long, so
		// 5 deployment days are more than 5/7 of it.
		{"5 days of a 167-hour week", 5, 167 * time.Hour, LevelElite},
		// ... and the autumn week 7.0417 days, so 5 are less than 5/7 of it.
		{"5 days of a 169-hour week", 5, 169 * time.Hour, LevelHigh},
		{"a long window does not overflow", 3650, 3650 * day, LevelElite},
	}
	for _, tt := range tests {
		if got := frequencyLevel(tt.days, tt.span); got != tt.want {
			t.Errorf("%s: %s, want %s", tt.name, got, tt.want)
		}
	}
}

func TestLeadTimeLevel(t *testing.T) {
	tests := []struct {
		median float64
		want   Level
	}{
		{0, LevelElite},
		{86399, LevelElite},
		{86399.5, LevelElite},
		{86400, LevelHigh}, // < 1 day is elite, exactly 1 day is not
		{604799, LevelHigh},
		{604800, LevelMedium},
		{2591999.9, LevelMedium},
		{2592000, LevelLow},
		{1e9, LevelLow},
	}
	for _, tt := range tests {
		if got := durationLevel(tt.median, daySeconds, weekSeconds, monthSeconds); got != tt.want {
			t.Errorf("lead time median %v: %s, want %s", tt.median, got, tt.want)
		}
	}
}

func TestTimeToRestoreLevel(t *testing.T) {
	tests := []struct {
		median float64
		want   Level
	}{
		{0, LevelElite},
		{3599, LevelElite},
		{3600, LevelHigh}, // < 1 hour is elite, exactly 1 hour is not
		{86399, LevelHigh},
		{86400, LevelMedium},
		{604799, LevelMedium},
		{604800, LevelLow},
	}
	for _, tt := range tests {
		if got := durationLevel(tt.median, hourSeconds, daySeconds, weekSeconds); got != tt.want {
			t.Errorf("time to restore median %v: %s, want %s", tt.median, got, tt.want)
		}
	}
}

func TestChangeFailureRateLevel(t *testing.T) {
	tests := []struct {
		failed, deployments int64
		want                Level
	}{
		{0, 1, LevelElite},
		{5, 100, LevelElite}, // exactly 0.05
		{1, 20, LevelElite},  // exactly 0.05
		{501, 10000, LevelHigh},
		{10, 100, LevelHigh}, // exactly 0.10
		{1, 10, LevelHigh},
		{1001, 10000, LevelMedium},
		{15, 100, LevelMedium}, // exactly 0.15
		{3, 20, LevelMedium},
		{151, 1000, LevelLow},
		{1, 1, LevelLow},
	}
	for _, tt := range tests {
		if got := failureLevel(tt.failed, tt.deployments); got != tt.want {
			t.Errorf("%d of %d failed: %s, want %s", tt.failed, tt.deployments, got, tt.want)
		}
	}
}

func TestLevelsOf(t *testing.T) {
	tests := []struct {
		name string
		row  Row
		span time.Duration
		want Levels
	}{
		{
			name: "nothing: only deployment frequency has a level",
			row:  Row{},
			span: 7 * day,
			want: Levels{DeploymentFrequency: lv(LevelLow), Overall: lv(LevelLow)},
		},
		{
			name: "overall is the lowest",
			row: Row{
				DeploymentDays: 7, Deployments: 10,
				LeadTimeMedian:    f(100000), // high
				FailedDeployments: 0, ChangeFailureRate: f(0),
				TimeToRestoreMedian: f(90000), // medium
			},
			span: 7 * day,
			want: Levels{
				DeploymentFrequency: lv(LevelElite),
				LeadTime:            lv(LevelHigh),
				ChangeFailureRate:   lv(LevelElite),
				TimeToRestore:       lv(LevelMedium),
				Overall:             lv(LevelMedium),
			},
		},
		{
			name: "a null metric has no level and does not pull overall down",
			row:  Row{DeploymentDays: 1, Deployments: 1, LeadTimeMedian: f(10), ChangeFailureRate: f(0)},
			span: 7 * day,
			want: Levels{
				DeploymentFrequency: lv(LevelHigh),
				LeadTime:            lv(LevelElite),
				ChangeFailureRate:   lv(LevelElite),
				Overall:             lv(LevelHigh),
			},
		},
		{
			name: "change failure rate decides on counts, not the rounded rate",
			row:  Row{DeploymentDays: 7, Deployments: 10000, FailedDeployments: 501, ChangeFailureRate: f(0.0501)},
			span: 7 * day,
			want: Levels{DeploymentFrequency: lv(LevelElite), ChangeFailureRate: lv(LevelHigh), Overall: lv(LevelHigh)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := levelsOf(&tt.row, tt.span)
			for _, c := range []struct {
				name      string
				got, want *Level
			}{
				{"deployment_frequency", got.DeploymentFrequency, tt.want.DeploymentFrequency},
				{"lead_time", got.LeadTime, tt.want.LeadTime},
				{"change_failure_rate", got.ChangeFailureRate, tt.want.ChangeFailureRate},
				{"time_to_restore", got.TimeToRestore, tt.want.TimeToRestore},
				{"overall", got.Overall, tt.want.Overall},
			} {
				if levelString(c.got) != levelString(c.want) {
					t.Errorf("%s = %s, want %s", c.name, levelString(c.got), levelString(c.want))
				}
			}
		})
	}
}

func levelString(l *Level) string {
	if l == nil {
		return "null"
	}
	return string(*l)
}
