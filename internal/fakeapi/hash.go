package fakeapi

// Mix64 is the finaliser of splitmix64: a bijection of 64-bit values that
// spreads every input bit over every output bit. Fakes use it to derive
// ids and draws that look random but never change.
func Mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ x>>31
}

// SplitMix64 is one step of the splitmix64 generator: Mix64 of x plus the
// golden-ratio increment, so that 0 does not map to 0.
func SplitMix64(x uint64) uint64 { return Mix64(x + 0x9e3779b97f4a7c15) }
