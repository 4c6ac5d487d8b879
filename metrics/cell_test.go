package metrics

import (
	"testing"
	"time"
)

func TestDateOf(t *testing.T) {
	loc := berlin(t)
	// 23:30 UTC on New Year's Eve is already 00:30 on New Year's Day in Berlin.
	instant := time.Date(2023, 12, 31, 23, 30, 0, 0, time.UTC)
	if got, want := DateOf(instant, time.UTC), (Date{Year: 2023, Month: time.December, Day: 31}); got != want {
		t.Errorf("DateOf(UTC) = %v, want %v", got, want)
	}
	if got, want := DateOf(instant, loc), (Date{Year: 2024, Month: time.January, Day: 1}); got != want {
		t.Errorf("DateOf(Berlin) = %v, want %v", got, want)
	}
}

func TestDateStart(t *testing.T) {
	loc := berlin(t)
	got := d("2024-03-31").Start(loc)
	if want := time.Date(2024, 3, 30, 23, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("Start = %v, want %v", got, want)
	}
	// The day of the spring clock change lasts 23 hours.
	if h := d("2024-04-01").Start(loc).Sub(got); h != 23*time.Hour {
		t.Errorf("2024-03-31 in Berlin lasts %v, want 23h", h)
	}
}

func TestDateStartSkippedMidnight(t *testing.T) {
	loc, err := time.LoadLocation("America/Sao_Paulo")
	if err != nil {
		t.Skipf("no time zone database: %v", err)
	}
	// On 2018-11-04 São Paulo's clocks jumped from 00:00 to 01:00 (-03 to -02).
	got := d("2018-11-04").Start(loc)
	if want := time.Date(2018, 11, 4, 3, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("Start = %v, want %v", got, want)
	}
	if h := d("2018-11-05").Start(loc).Sub(got); h != 23*time.Hour {
		t.Errorf("2018-11-04 in São Paulo lasts %v, want 23h", h)
	}
	if h := got.Sub(d("2018-11-03").Start(loc)); h != 24*time.Hour {
		t.Errorf("2018-11-03 in São Paulo lasts %v, want 24h", h)
	}
}

func TestDateArithmetic(t *testing.T) {
	tests := []struct {
		name string
		got  Date
		want string
	}{
		{"AddDays over a month end", d("2024-01-30").AddDays(3), "2024-02-02"},
		{"AddDays over a leap day", d("2024-02-28").AddDays(1), "2024-02-29"},
		{"AddDays over a year end", d("2023-12-31").AddDays(1), "2024-01-01"},
		{"AddDays backwards", d("2024-03-01").AddDays(-1), "2024-02-29"},
		{"Monday of a Monday", d("2024-01-01").Monday(), "2024-01-01"},
		{"Monday of a Wednesday", d("2024-01-03").Monday(), "2024-01-01"},
		{"Monday of a Sunday", d("2024-01-07").Monday(), "2024-01-01"},
		{"Monday across a year end", d("2025-01-01").Monday(), "2024-12-30"},
		{"MonthStart", d("2024-02-29").MonthStart(), "2024-02-01"},
		{"nextMonth", nextMonth(d("2024-01-31")), "2024-02-01"},
		{"nextMonth in December", nextMonth(d("2024-12-15")), "2025-01-01"},
	}
	for _, tt := range tests {
		if got := tt.got.String(); got != tt.want {
			t.Errorf("%s: got %s, want %s", tt.name, got, tt.want)
		}
	}
}

func TestDateCompare(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"2024-01-01", "2024-01-01", 0},
		{"2024-01-01", "2024-01-02", -1},
		{"2024-02-01", "2024-01-31", 1},
		{"2023-12-31", "2024-01-01", -1},
	}
	for _, tt := range tests {
		if got := d(tt.a).Compare(d(tt.b)); got != tt.want {
			t.Errorf("%s.Compare(%s) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
		if got := d(tt.a).Before(d(tt.b)); got != (tt.want < 0) {
			t.Errorf("%s.Before(%s) = %v", tt.a, tt.b, got)
		}
	}
}

func TestMultisetCount(t *testing.T) {
	tests := []struct {
		m    Multiset
		want int64
	}{
		{nil, 0},
		{Multiset{}, 0},
		{Multiset{10: 2, 20: 1}, 3},
		// A retraction not yet met by its original counts for nothing.
		{Multiset{10: 2, 20: 0, 30: -1}, 2},
	}
	for _, tt := range tests {
		if got := tt.m.Count(); got != tt.want {
			t.Errorf("%v.Count() = %d, want %d", tt.m, got, tt.want)
		}
	}
}

func TestDateUnixDay(t *testing.T) {
	// Every day around the year 0, where division must floor, and from
	// 1600 to 2400, against the standard library.
	for _, years := range [][2]int{{-401, 2}, {1600, 2400}} {
		for tm := time.Date(years[0], 1, 1, 0, 0, 0, 0, time.UTC); tm.Year() < years[1]; tm = tm.AddDate(0, 0, 1) {
			day := DateOf(tm, time.UTC)
			// Unix()/86400 truncates towards zero; midnights divide exactly.
			if got, want := unixDay(day), tm.Unix()/86400; got != want {
				t.Fatalf("unixDay(%v) = %d, want %d", day, got, want)
			}
		}
	}
}
