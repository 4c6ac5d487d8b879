package doraflow

import "strings"

// Nearest returns the candidate closest to word, or "" when none is close
// enough to be a plausible typo. Case, "_" and "-" are ignored so that
// baseURL finds base_url.
func Nearest(word string, candidates []string) string {
	w := normalize(word)
	best, bestDist := "", -1
	for _, c := range candidates {
		n := normalize(c)
		dist := editDistance(w, n)
		if len(w) >= 3 && strings.HasPrefix(n, w) {
			// An abbreviation (repo for repositories) is a clear intent
			// even though many letters are missing.
			dist = min(dist, 1)
		}
		if bestDist < 0 || dist < bestDist {
			best, bestDist = c, dist
		}
	}
	if bestDist < 0 || bestDist > min(max(1, len(w)/3), 3) {
		return ""
	}
	return best
}

func normalize(s string) string {
	s = strings.ToLower(s)
	return strings.NewReplacer("_", "", "-", "").Replace(s)
}

// editDistance is the Levenshtein distance between a and b, in bytes:
// keys and enum values are ASCII.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
