package main

import (
	"strings"
	"testing"
	"time"
)

// fuzzZones are the time zones FuzzWindow reads dates in: UTC, one with
// daylight saving (a day of 23 or 25 hours), one whose clocks once
// skipped a whole day, and one with a half-hour offset.
var fuzzZones = []string{"UTC", "Europe/Berlin", "Pacific/Apia", "Asia/Kolkata"}

// FuzzWindow feeds any --from and --to to the date flags of metrics,
// explain and backfill: no input panics, a refusal names the flag at
// fault, and an accepted window is not empty.
func FuzzWindow(f *testing.F) {
	for _, c := range [][2]string{
		{"", ""}, {"2024-01-01", "2024-02-01"}, {"2024-03-31", "2024-04-01"}, {"2011-12-30", "2011-12-31"},
		{"2024-02-30", ""}, {"2024-01-01T10:00:00Z", "2024-01-01T10:00:00+01:00"}, {"2024-01-01T10:00:00.999999999-23:59", ""},
		{"yesterday", ""}, {"", "tomorrow"}, {"0000-01-01", "9999-12-31"}, {"2024-01-01 ", ""}, {"2024-1-1", ""},
		{"2024-02-01", "2024-01-01"}, {"\x00", "\u2028"},
	} {
		f.Add(c[0], c[1], uint8(1))
	}
	now := time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, fromFlag, toFlag string, zone uint8) {
		loc, err := time.LoadLocation(fuzzZones[int(zone)%len(fuzzZones)])
		if err != nil {
			t.Fatal(err)
		}
		from, to, err := window(fromFlag, toFlag, loc, now)
		if err != nil {
			if msg := err.Error(); !strings.Contains(msg, "--from") && !strings.Contains(msg, "--to") {
				t.Fatalf("window(%q, %q): %q names neither flag", fromFlag, toFlag, msg)
			}
			return
		}
		if !from.Before(to) {
			t.Fatalf("window(%q, %q) = [%s, %s): empty", fromFlag, toFlag, from, to)
		}
	})
}
