package fakeapi

import "testing"

// The reference outputs of splitmix64 seeded with 0 (Vigna's
// splitmix64.c): its nth output is SplitMix64 of (n-1) increments.
func TestSplitMix64(t *testing.T) {
	const gamma = 0x9e3779b97f4a7c15
	tests := []struct {
		in, want uint64
	}{
		{0, 0xe220a8397b1dcdaf},
		{gamma, 0x6e789e6aa1b965f4},
		{0x3c6ef372fe94f82a, 0x06c45d188009454f}, // 2 × gamma, wrapped
	}
	for _, tt := range tests {
		if got := SplitMix64(tt.in); got != tt.want {
			t.Errorf("SplitMix64(%#x) = %#x, want %#x", tt.in, got, tt.want)
		}
		if got := Mix64(tt.in + gamma); got != tt.want {
			t.Errorf("Mix64(%#x) = %#x, want %#x", tt.in+gamma, got, tt.want)
		}
	}
	if Mix64(0) != 0 {
		t.Error("Mix64(0) != 0: the finaliser has no increment")
	}
}
