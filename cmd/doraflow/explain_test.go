package main

import (
	"strings"
	"testing"
)

func TestShortSHAs(t *testing.T) {
	sha := func(c byte) string { return strings.Repeat(string(c), 40) }
	tests := []struct {
		commits []string
		want    string
	}{
		{nil, "-"},
		{[]string{sha('a')}, "aaaaaaa"},
		{[]string{sha('a'), sha('b'), sha('c')}, "aaaaaaa,bbbbbbb,ccccccc"},
		{[]string{sha('a'), sha('b'), sha('c'), sha('d'), sha('e')}, "aaaaaaa,bbbbbbb,ccccccc,+2 more"},
		{[]string{"abc"}, "abc"}, // shorter than an abbreviation: as is
	}
	for _, tt := range tests {
		if got := shortSHAs(tt.commits); got != tt.want {
			t.Errorf("shortSHAs(%d commits) = %q, want %q", len(tt.commits), got, tt.want)
		}
	}
}
