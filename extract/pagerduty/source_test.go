package pagerduty_test

import (
	"strings"
	"testing"
	"time"

	"doraflow/extract/pagerduty"
)

func TestNew(t *testing.T) {
	tests := []struct {
		name    string
		opts    pagerduty.Options
		wantErr string
	}{
		{"defaults", pagerduty.Options{BaseURL: "https://api.pagerduty.com", Token: "t"}, ""},
		{"EU region with a trailing slash", pagerduty.Options{BaseURL: "https://api.eu.pagerduty.com/", Token: "t"}, ""},
		{"no token", pagerduty.Options{BaseURL: "https://api.pagerduty.com"}, "set pagerduty.token"},
		{"no base URL", pagerduty.Options{Token: "t"}, "not an absolute http(s) URL"},
		{"relative base URL", pagerduty.Options{BaseURL: "api.pagerduty.com", Token: "t"}, "not an absolute http(s) URL"},
		{"range under a minute", pagerduty.Options{BaseURL: "https://api.pagerduty.com", Token: "t", MaxRange: time.Second}, "MaxRange"},
		{"offset cap under a page", pagerduty.Options{BaseURL: "https://api.pagerduty.com", Token: "t", MaxOffset: 50}, "MaxOffset"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src, err := pagerduty.New(tt.opts)
			switch {
			case tt.wantErr == "" && (err != nil || src == nil):
				t.Fatalf("New: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("error %v, want one saying %q", err, tt.wantErr)
			}
		})
	}
}
