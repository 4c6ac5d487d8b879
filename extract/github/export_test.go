package github

// SetRunsSearchCap lowers how many runs a filtered runs listing is taken
// to reach (GitHub's 1,000), so a test can make created ranges split with
// a few hundred runs and a fake that stops at the same number.
func SetRunsSearchCap(s *Source, n int) { s.runsCap = n }
