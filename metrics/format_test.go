package metrics

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math"
	"strings"
	"testing"
	"time"
)

// goldenReports are the reports the golden files in testdata/ render.
func goldenReports(t *testing.T) map[string]Report {
	loc := berlin(t)
	weekly := Query{From: at("2024-03-20", loc), To: at("2024-04-03", loc), Location: loc, GroupBy: GroupTeam, Period: PeriodWeek}
	weeklyCells := []Cell{
		{Day: d("2024-03-20"), Service: "api", Team: "platform", Deployments: 3, LeadTimes: Multiset{1800: 2, 52000: 1}},
		{Day: d("2024-03-21"), Service: "db", Team: "platform", Deployments: 1, FailedDeployments: 1},
		{Day: d("2024-03-21"), Service: "db", Team: "platform", Incidents: 1, Restores: Multiset{2700: 1}},
		{Day: d("2024-03-31"), Service: "api", Team: "platform", Deployments: 2, ReworkDeployments: 1},
		{Day: d("2024-04-02"), Service: "web", Team: "R&D", Deployments: 1, LeadTimes: Multiset{700000: 1}},
		{Day: d("2024-03-26"), Service: "batch", Team: "", Incidents: 1},
	}
	return map[string]Report{
		"example":      mustCompute(t, q1(GroupService, PeriodNone), exampleCells()),
		"weekly_team":  mustCompute(t, weekly, weeklyCells),
		"none_empty":   mustCompute(t, q1(GroupNone, PeriodNone), nil),
		"service_none": mustCompute(t, q1(GroupService, PeriodDay), nil),
		"repository":   mustCompute(t, q1(GroupRepository, PeriodMonth), exampleCells()),
		"environment":  mustCompute(t, q1(GroupEnvironment, PeriodNone), exampleCells()),
	}
}

func TestWriteGolden(t *testing.T) {
	writers := []struct {
		ext   string
		write func(io.Writer, Report) error
	}{
		{"json", WriteJSON},
		{"csv", WriteCSV},
		{"txt", WriteTable},
	}
	for name, r := range goldenReports(t) {
		for _, w := range writers {
			t.Run(name+"."+w.ext, func(t *testing.T) {
				var buf bytes.Buffer
				if err := w.write(&buf, r); err != nil {
					t.Fatal(err)
				}
				golden(t, name+"."+w.ext, buf.Bytes())
			})
		}
	}
}

// The JSON is what scripts parse: check the contract's shape through a
// decoder as well as byte for byte.
func TestWriteJSONShape(t *testing.T) {
	reports := goldenReports(t)
	var buf bytes.Buffer
	if err := WriteJSON(&buf, reports["example"]); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		From, To string
		GroupBy  string `json:"group_by"`
		Rows     []map[string]any
	}
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.From != "2024-01-01T00:00:00Z" || doc.To != "2024-04-01T00:00:00Z" || doc.GroupBy != "service" {
		t.Errorf("header: %+v", doc)
	}
	api := doc.Rows[0]
	for k, want := range map[string]any{
		"service": "api", "team": "platform", "deployments": 42.0, "deployment_days": 30.0,
		"deployments_per_day": 0.4615, "changes": 88.0, "lead_time_median_seconds": 51840.0,
		"lead_time_p90_seconds": 259200.0, "lead_time_mean_seconds": 97200.0, "failed_deployments": 3.0,
		"change_failure_rate": 0.0714, "incidents": 4.0, "restored_incidents": 4.0,
		"time_to_restore_median_seconds": 5400.0, "time_to_restore_p90_seconds": 14400.0,
		"time_to_restore_mean_seconds": 7200.0, "rework_deployments": 2.0, "rework_rate": 0.0476,
		"coding_time_median_seconds": 21600.0, "pickup_time_median_seconds": 7200.0,
		"review_time_median_seconds": 10800.0, "deploy_time_median_seconds": 3600.0,
	} {
		if api[k] != want {
			t.Errorf("%s = %v, want %v", k, api[k], want)
		}
	}
	if _, ok := api["period_start"]; ok {
		t.Error("period_start without a period")
	}
	levels := api["levels"].(map[string]any)
	for k, want := range map[string]any{
		"deployment_frequency": "high", "lead_time": "elite", "change_failure_rate": "high", "time_to_restore": "high", "overall": "high",
	} {
		if levels[k] != want {
			t.Errorf("levels.%s = %v, want %v", k, levels[k], want)
		}
	}
	web := doc.Rows[1]
	for _, k := range []string{"time_to_restore_median_seconds", "time_to_restore_p90_seconds", "time_to_restore_mean_seconds",
		"coding_time_median_seconds", "pickup_time_median_seconds", "review_time_median_seconds"} {
		if v, ok := web[k]; !ok || v != nil {
			t.Errorf("web %s = %v (present %v), want null", k, v, ok)
		}
	}
}

func TestWriteJSONTimesInUTC(t *testing.T) {
	loc := berlin(t)
	r := mustCompute(t, Query{From: at("2024-01-01", loc), To: at("2024-02-01", loc), Location: loc, GroupBy: GroupNone, Period: PeriodNone}, nil)
	var buf bytes.Buffer
	if err := WriteJSON(&buf, r); err != nil {
		t.Fatal(err)
	}
	if want := []byte(`"from": "2023-12-31T23:00:00Z"`); !bytes.Contains(buf.Bytes(), want) {
		t.Errorf("output does not contain %s:\n%s", want, buf.Bytes())
	}
}

// TestFormatNumbers: the one rule of docs/metrics.md ("Numbers in JSON and
// CSV"): seconds to the millisecond, ratios to 4 decimals, half away from
// zero, always with a decimal point, zero without a sign.
func TestFormatNumbers(t *testing.T) {
	maxFloat := "17976931348623157" + strings.Repeat("0", 292) + ".0"
	tests := []struct {
		name   string
		format func(float64) string
		v      float64
		want   string
	}{
		{"whole seconds keep a decimal point", formatSeconds, 51840, "51840.0"},
		{"a half second", formatSeconds, 2.5, "2.5"},
		{"p90 of 0..9", formatSeconds, 8.1, "8.1"},
		{"zero", formatSeconds, 0, "0.0"},
		{"negative zero has no sign", formatSeconds, math.Copysign(0, -1), "0.0"},
		{"a negative that rounds to zero has no sign", formatSeconds, -0.0004, "0.0"},
		{"a third to the millisecond", formatSeconds, 1.0 / 3, "0.333"},
		{"a mean of the golden files", formatSeconds, 55600.0 / 3, "18533.333"},
		{"two thirds round up", formatSeconds, 2.0 / 3, "0.667"},
		// 0.0625 is exact in binary: a true half, which half-to-even
		// (strconv's 'f' with 3 digits) would print as 0.062.
		{"seconds: half away from zero", formatSeconds, 0.0625, "0.063"},
		{"seconds: negative half away from zero", formatSeconds, -0.0625, "-0.063"},
		{"seconds: the half as it is printed", formatSeconds, 1.0005, "1.001"},
		{"seconds: below the half", formatSeconds, 1.0004999, "1.0"},
		{"seconds: carry into the whole", formatSeconds, 9.9995, "10.0"},
		{"seconds: carry into a new digit", formatSeconds, 999.9996, "1000.0"},
		{"large seconds", formatSeconds, 123456789012.3456, "123456789012.346"},
		{"seconds past 2^53 stay whole", formatSeconds, 1e21, "1000000000000000000000.0"},
		{"the largest float", formatSeconds, math.MaxFloat64, maxFloat},
		{"the contract's deployments per day", formatRatio, 42.0 / 91, "0.4615"},
		{"a ratio", formatRatio, 3.0 / 42, "0.0714"},
		{"another ratio", formatRatio, 2.0 / 42, "0.0476"},
		{"a whole ratio", formatRatio, 1, "1.0"},
		{"ratio: half away from zero", formatRatio, 0.03125, "0.0313"},
		{"ratio: negative half away from zero", formatRatio, -0.03125, "-0.0313"},
		{"ratio: the half as it is printed", formatRatio, 0.00005, "0.0001"},
		{"ratio: below the half", formatRatio, 0.00004, "0.0"},
		{"ratio: carry to one", formatRatio, 0.99995, "1.0"},
		{"ratio: tiny", formatRatio, 1e-7, "0.0"},
		{"large rate", formatRatio, 1e9 / 7, "142857142.8571"},
		{"ratio: the largest float", formatRatio, math.MaxFloat64, maxFloat},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.format(tt.v); got != tt.want {
				t.Errorf("%v prints as %s, want %s", tt.v, got, tt.want)
			}
		})
	}
}

// TestJSONNumbers: the JSON types print through the same formatter, and
// refuse what JSON cannot hold rather than write invalid JSON.
func TestJSONNumbers(t *testing.T) {
	tests := []struct {
		name    string
		v       any
		want    string
		wantErr bool
	}{
		{"seconds", JSONSeconds(18533.333333333332), "18533.333", false},
		{"whole seconds", JSONSeconds(3600), "3600.0", false},
		{"null seconds", (*JSONSeconds)(nil), "null", false},
		{"ratio", jsonRatio(0.461538), "0.4615", false},
		{"NaN seconds", JSONSeconds(math.NaN()), "", true},
		{"infinite ratio", jsonRatio(math.Inf(1)), "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := json.Marshal(tt.v)
			if (err != nil) != tt.wantErr || string(got) != tt.want {
				t.Errorf("json.Marshal(%v) = %s, %v; want %s, error %v", tt.v, got, err, tt.want, tt.wantErr)
			}
		})
	}
	if got := JSONSeconds(7200).String(); got != "7200.0" {
		t.Errorf("JSONSeconds(7200).String() = %s, want 7200.0", got)
	}
}

func TestHumanSeconds(t *testing.T) {
	tests := []struct {
		v    *float64
		want string
	}{
		{nil, "—"},
		{f(0), "0s"},
		{f(2.5), "3s"},
		{f(45), "45s"},
		{f(59.4), "59s"},
		{f(59.5), "1m"},
		{f(750), "12m30s"},
		{f(3599), "59m59s"},
		{f(3600), "1h"},
		{f(51840), "14h24m"},
		{f(86369), "23h59m"},
		{f(86370), "1d"}, // 23h59m30s rounds to a whole day
		{f(86400), "1d"},
		{f(266400), "3d 2h"},
		{f(259200 + 5399), "3d 1h"},
		{f(259200 + 5400), "3d 2h"},
		{f(2592000), "30d"},
	}
	for _, tt := range tests {
		if got := Seconds(tt.v); got != tt.want {
			t.Errorf("Seconds(%s) = %q, want %q", fstr(tt.v), got, tt.want)
		}
	}
}

func TestPercent(t *testing.T) {
	for _, tt := range []struct {
		v    *float64
		want string
	}{{nil, "—"}, {f(0), "0.0%"}, {f(3.0 / 42), "7.1%"}, {f(1), "100.0%"}} {
		if got := Percent(tt.v); got != tt.want {
			t.Errorf("Percent(%s) = %q, want %q", fstr(tt.v), got, tt.want)
		}
	}
}

// failingWriter fails every write, as a closed pipe does.
type failingWriter struct{}

var errWrite = errors.New("write failed")

func (failingWriter) Write([]byte) (int, error) { return 0, errWrite }

func TestWritersReportWriteErrors(t *testing.T) {
	r := mustCompute(t, q1(GroupService, PeriodNone), exampleCells())
	empty := mustCompute(t, q1(GroupService, PeriodNone), nil)
	for name, write := range map[string]func(io.Writer, Report) error{"json": WriteJSON, "csv": WriteCSV, "table": WriteTable} {
		for _, rep := range []Report{r, empty} {
			if err := write(failingWriter{}, rep); !errors.Is(err, errWrite) {
				t.Errorf("%s over %d rows: error %v, want %v", name, len(rep.Rows), err, errWrite)
			}
		}
	}
}

func TestTableTitle(t *testing.T) {
	loc := berlin(t)
	tests := []struct {
		r    Report
		want string
	}{
		{
			Report{From: at("2024-01-01", time.UTC), To: at("2024-04-01", time.UTC), GroupBy: GroupService, Period: PeriodNone},
			"DORA metrics from 2024-01-01 to 2024-03-31 (UTC), by service",
		},
		{
			Report{From: at("2024-01-01", loc), To: time.Date(2024, 1, 8, 12, 30, 0, 0, loc), GroupBy: GroupNone, Period: PeriodDay},
			"DORA metrics from 2024-01-01 00:00 until 2024-01-08 12:30 (Europe/Berlin), all together, per day",
		},
	}
	for _, tt := range tests {
		if got := tableTitle(tt.r); got != tt.want {
			t.Errorf("got  %q\nwant %q", got, tt.want)
		}
	}
}
