package metrics

import (
	"testing"
	"time"
)

func TestWindow(t *testing.T) {
	loc := berlin(t)
	tests := []struct {
		name     string
		from, to time.Time
		want     string
	}{
		{"whole days: last day included", at("2026-11-07", time.UTC), at("2026-12-07", time.UTC), "from 2026-11-07 to 2026-12-06 (UTC)"},
		{"one day", at("2024-01-01", loc), at("2024-01-02", loc), "from 2024-01-01 to 2024-01-01 (Europe/Berlin)"},
		{"end in a day: to the minute, end excluded", at("2024-01-01", loc), time.Date(2024, 1, 8, 12, 30, 0, 0, loc), "from 2024-01-01 00:00 until 2024-01-08 12:30 (Europe/Berlin)"},
		{"empty window", at("2024-01-01", time.UTC), at("2024-01-01", time.UTC), "from 2024-01-01 00:00 until 2024-01-01 00:00 (UTC)"},
	}
	for _, tt := range tests {
		if got := Window(tt.from, tt.to); got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestPlural(t *testing.T) {
	tests := []struct {
		got, want string
	}{
		{Plural(0, "row"), "0 rows"},
		{Plural(1, "row"), "1 row"},
		{Plural(int64(1), "incident"), "1 incident"},
		{Plural(uint64(2), "incident"), "2 incidents"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}
