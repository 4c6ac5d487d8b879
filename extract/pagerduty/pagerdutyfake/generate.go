package pagerdutyfake

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"doraflow/internal/fakeapi"
)

// Size says how much data Generate makes and where in time it lies. Zero
// fields take the defaults noted on each; Small, Medium and Large are
// ready-made sizes.
type Size struct {
	// Services is the number of services (default 8, at least 2). The last
	// one, "legacy-batch" (id PLEG001), belongs to no team, and the second
	// belongs to two teams.
	Services int
	// Teams is the number of teams (default 3, at least 1). Each gets three
	// users.
	Teams int
	// Incidents is the number of background incidents, spread over Span
	// before End (default 1,000).
	Incidents int
	// Span is how far back from End the background incidents reach
	// (default 270 days, so more than the API's 6-month query limit).
	Span time.Duration
	// End is the instant the data ends at, the "now" of the generated
	// account: incidents whose resolution would fall after it are still open
	// (default 2025-01-01T00:00:00Z; pass a time near the real now for demos).
	End time.Time
	// Storm is the number of extra incidents packed into one window on the
	// first service (default 0, none). More than 10,000 makes a window that
	// offset pagination alone cannot read (see Data.Storm).
	Storm int
	// StormStart is the start of the storm window (default End − 60 days,
	// at midnight UTC).
	StormStart time.Time
	// StormWindow is the length of the storm window (default 7 days).
	StormWindow time.Duration
}

// Small is a size for unit tests: 8 services, 3 teams, 600 incidents over
// 270 days.
func Small() Size { return Size{Services: 8, Teams: 3, Incidents: 600, Span: 270 * day} }

// Medium is a size for the demo: 20 services, 5 teams, 20,000 incidents
// over a year.
func Medium() Size { return Size{Services: 20, Teams: 5, Incidents: 20_000, Span: 365 * day} }

// Large is a size for benchmarks and limit tests: 40 services, 8 teams,
// 100,000 incidents over a year plus a storm of 12,000 incidents in one
// week.
func Large() Size {
	return Size{Services: 40, Teams: 8, Incidents: 100_000, Span: 365 * day, Storm: 12_000}
}

const day = 24 * time.Hour

// defaultEnd is the End of a Size that names none.
func defaultEnd() time.Time { return time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC) }

func (s Size) withDefaults() Size {
	if s.Services == 0 {
		s.Services = 8
	}
	s.Services = max(s.Services, 2)
	if s.Teams == 0 {
		s.Teams = 3
	}
	s.Teams = max(s.Teams, 1)
	if s.Incidents == 0 {
		s.Incidents = 1000
	}
	s.Incidents = max(s.Incidents, 0)
	if s.Span <= 0 {
		s.Span = 270 * day
	}
	if s.End.IsZero() {
		s.End = defaultEnd()
	}
	s.End = s.End.UTC().Truncate(time.Second)
	s.Storm = max(s.Storm, 0)
	if s.StormWindow <= 0 {
		s.StormWindow = 7 * day
	}
	if s.StormStart.IsZero() {
		s.StormStart = s.End.Add(-60 * day).Truncate(day)
	}
	s.StormStart = s.StormStart.UTC().Truncate(time.Second)
	return s
}

// Name tables of the generator; read only.
var (
	teamNames    = []string{"platform", "payments", "web", "mobile", "data", "infra", "identity", "growth"}
	serviceNames = []string{"api", "web", "payments", "search", "auth", "checkout", "notifications", "billing", "reports", "mobile-api", "gateway", "inventory"}
	firstNames   = []string{"Ada", "Grace", "Linus", "Barbara", "Ken", "Margaret", "Dennis", "Frances", "Edsger", "Radia"}
	lastNames    = []string{"Lovelace", "Hopper", "Torvalds", "Liskov", "Thompson", "Hamilton", "Ritchie", "Allen", "Dijkstra", "Perlman"}
	titleFormats = []string{
		"High error rate on %s",
		"Latency SLO burn on %s",
		"[FIRING:1] PodCrashLooping %s",
		"Disk usage above 90%% on %s-db",
		"%s: 5xx responses above threshold",
		"Health check failing for %s",
		"Queue backlog growing on %s",
		"Certificate expiring soon for %s",
		"%s deploy rollback triggered \"auto\"",
		"Memory pressure on %s — OOMKilled",
	}
	priorityDefs = []struct{ name, color, desc string }{
		{"P1", "a8171c", "Critical: customer-facing outage"},
		{"P2", "eb6016", "High: major degradation"},
		{"P3", "f9b406", "Moderate: partial degradation"},
		{"P4", "0b8a3b", "Low: minor issue"},
		{"P5", "4b5563", "Informational"},
	}
)

// Generate makes an account deterministically from seed: the same seed and
// size give the same data, byte for byte, on every platform. It costs about
// a sort of the incidents, so 100,000+ incidents take well under a second.
//
// The data holds the cases an extractor must survive: incidents without a
// priority (about a third), open incidents near End (at least the last
// three, triggered or acknowledged) that a test can Resolve later, both
// urgencies, zero-length incidents, incidents created exactly at midnight
// UTC, a service with no team and one with two teams, incidents spread over
// more than 6 months, duplicate incidents merged into the open incident of
// their service they duplicate (resolved by the merge, still listed), and,
// with Size.Storm, a window holding more incidents than offset pagination
// can reach.
func Generate(seed int64, size Size) *Data {
	size = size.withDefaults()
	rng := rand.New(rand.NewPCG(uint64(seed), 0xda3e39cb94b95bdb))
	salt := fakeapi.SplitMix64(uint64(seed))
	d := New()

	// Teams and their users.
	teamIDs := make([]string, size.Teams)
	usersOf := make([][]string, size.Teams)
	seen := map[string]int{}
	userN := 0
	for i := range size.Teams {
		name := pick(teamNames, i, "team")
		id := makeID("PT", name, 2, seen)
		teamIDs[i] = id
		d.teams[id] = &Team{ID: id, Name: name, Description: "The " + name + " team"}
		for range 3 {
			userN++
			first := firstNames[(userN-1)%len(firstNames)]
			last := lastNames[((userN-1)/len(firstNames)+userN-1)%len(lastNames)]
			uid := fmt.Sprintf("PU%05d", userN)
			d.users[uid] = &User{ID: uid, Name: first + " " + last, Email: strings.ToLower(first+"."+last) + "@example.com"}
			usersOf[i] = append(usersOf[i], uid)
		}
	}
	assignees := map[string][]string{}
	for id := range d.users {
		assignees[id] = []string{id}
	}

	// Priorities P1 … P5.
	prioIDs := make([]string, len(priorityDefs))
	for i, p := range priorityDefs {
		id := fmt.Sprintf("PPRIO%02d", i+1)
		prioIDs[i] = id
		d.priorities[id] = &Priority{ID: id, Name: p.name, Description: p.desc, Color: p.color, Order: (i + 1) * 1024}
	}

	// Services: the last is the team-less legacy-batch.
	type svcInfo struct {
		id    string
		name  string
		team  int // index into teamIDs, -1 for none
		teams []string
	}
	svcs := make([]svcInfo, size.Services)
	for i := range size.Services {
		var name string
		team := i % size.Teams
		var teams []string
		if i == size.Services-1 {
			name, team = "legacy-batch", -1
			teams = []string{}
		} else {
			name = pick(serviceNames, i, "svc")
			teams = []string{teamIDs[team]}
			if i == 1 && size.Teams > 1 {
				teams = append(teams, teamIDs[0])
			}
		}
		id := makeID("P", name, 3, seen)
		svcs[i] = svcInfo{id: id, name: name, team: team, teams: teams}
		d.services[id] = &Service{
			ID:          id,
			Name:        name,
			Description: "The " + name + " service",
			TeamIDs:     teams,
			CreatedAt:   size.End.Add(-size.Span - 400*day + time.Duration(i)*day).Truncate(day),
		}
	}
	// Zipf-like weights: the first services page far more than the last.
	cum := make([]float64, len(svcs))
	total := 0.0
	for i := range svcs {
		total += 1 / float64(i+1)
		cum[i] = total
	}

	// Creation times first, so that numbers follow creation order.
	type draft struct {
		at    int64 // unix seconds
		storm bool
	}
	end := size.End.Unix()
	start := size.End.Add(-size.Span).Unix()
	drafts := make([]draft, 0, size.Incidents+size.Storm)
	for range size.Incidents {
		t := start + rng.Int64N(max(end-start, 1))
		if rng.IntN(100) == 0 {
			t -= t % 86400 // exactly midnight UTC: a window boundary
		}
		drafts = append(drafts, draft{at: t})
	}
	stormStart := size.StormStart.Unix()
	stormLen := max(int64(size.StormWindow/time.Second), 1)
	for range size.Storm {
		drafts = append(drafts, draft{at: stormStart + rng.Int64N(stormLen), storm: true})
	}
	slices.SortStableFunc(drafts, func(a, b draft) int {
		switch {
		case a.at < b.at:
			return -1
		case a.at > b.at:
			return 1
		}
		return 0
	})

	d.all = make([]*Incident, 0, len(drafts))
	store := make([]Incident, len(drafts)) // one allocation for all incidents
	latest := map[string]*Incident{}       // per service, its latest incident not merged
	for i, dr := range drafts {
		number := i + 1
		var s svcInfo
		if dr.storm {
			s = svcs[0]
		} else {
			x := rng.Float64() * total
			j, _ := slices.BinarySearch(cum, x)
			s = svcs[min(j, len(svcs)-1)]
		}
		urgency := UrgencyHigh
		if dr.storm && rng.IntN(10) != 0 || !dr.storm && rng.IntN(10) < 3 {
			urgency = UrgencyLow
		}
		prio := ""
		if r := rng.IntN(100); r >= 35 {
			switch r = (r - 35) * 100 / 65; {
			case r < 5:
				prio = prioIDs[0]
			case r < 20:
				prio = prioIDs[1]
			case r < 55:
				prio = prioIDs[2]
			case r < 85:
				prio = prioIDs[3]
			default:
				prio = prioIDs[4]
			}
		}
		var dur int64
		switch {
		case dr.storm:
			dur = 120 + rng.Int64N(1080)
		case rng.IntN(100) == 0:
			dur = 0 // resolved the second it was created
		default:
			v := math.Exp(rng.NormFloat64()*1.3 + math.Log(1800))
			dur = int64(min(max(v, 60), 21*86400))
		}
		var pool []string
		if s.team >= 0 {
			pool = usersOf[s.team]
		} else {
			pool = usersOf[rng.IntN(len(usersOf))]
		}
		user := pool[rng.IntN(len(pool))]
		format := titleFormats[rng.IntN(len(titleFormats))]
		if dr.storm {
			format = "[FIRING:1] Flapping health check on %s"
		}
		in := &store[i]
		*in = Incident{
			ID:          incidentID(salt, number),
			Number:      number,
			Title:       fmt.Sprintf(format, s.name),
			Urgency:     urgency,
			CreatedAt:   time.Unix(dr.at, 0).UTC(),
			ServiceID:   s.id,
			TeamIDs:     s.teams,
			PriorityID:  prio,
			AssigneeIDs: assignees[user],
			IncidentKey: incidentKey(salt, number),
		}
		resolved := dr.at + dur
		ackMode := rng.IntN(2)
		if resolved > end || i >= len(drafts)-3 && !dr.storm {
			in.Status = StatusTriggered
			if ackMode == 1 {
				in.Status = StatusAcknowledged
				in.AcknowledgedAt = time.Unix(dr.at+rng.Int64N(max(min(end-dr.at, 1800), 1)), 0).UTC()
			}
		} else {
			in.Status = StatusResolved
			in.ResolvedAt = time.Unix(resolved, 0).UTC()
		}
		if !dr.storm && i < len(drafts)-3 {
			mergeDuplicate(in, latest[s.id], resolved, end, salt)
		}
		if in.MergedInto == "" {
			latest[s.id] = in
		}
		d.incidents[in.ID] = in
		d.numbers[number] = true
		d.all = append(d.all, in)
		d.byService[in.ServiceID] = append(d.byService[in.ServiceID], in)
		for _, t := range in.TeamIDs {
			d.byTeam[t] = append(d.byTeam[t], in)
		}
	}
	d.maxNumber = len(drafts)
	if size.Storm > 0 {
		d.storm = &Storm{
			ServiceID: svcs[0].id,
			Since:     size.StormStart,
			Until:     size.StormStart.Add(size.StormWindow),
			Count:     size.Storm,
		}
	}
	return d
}

// mergeDuplicate merges in, as a responder would, into prev, the latest
// incident of the same service, when prev is still open a few minutes
// after in was created and in is too: the duplicate page of one failure,
// which PagerDuty users merge (see Data.Merge). Half of such pairs are
// merged, chosen by a hash of the incident number, so the rng's draws and
// every other incident stay as they were. resolved is when in would have
// been resolved on its own, end the account's now.
func mergeDuplicate(in, prev *Incident, resolved, end int64, salt uint64) {
	if prev == nil {
		return
	}
	h := fakeapi.SplitMix64(uint64(in.Number) ^ salt ^ 0x6d657267)
	if h%2 != 0 {
		return
	}
	at := in.CreatedAt.Unix() + 60 + int64(h>>1%540)
	if at >= resolved || at > end || prev.Status == StatusResolved && prev.ResolvedAt.Unix() <= at {
		return
	}
	in.Status, in.ResolvedAt, in.AcknowledgedAt, in.MergedInto = StatusResolved, time.Unix(at, 0).UTC(), time.Time{}, prev.ID
}

// pick returns names[i], or prefix-<i+1> past the end of names.
func pick(names []string, i int, prefix string) string {
	if i < len(names) {
		return names[i]
	}
	return fmt.Sprintf("%s-%02d", prefix, i+1)
}

// makeID builds a 7-character PagerDuty-style id: prefix, the name's first
// letters in upper case, and a counter of digits digits that keeps ids
// unique ("api" → "PAPI001", team "platform" → "PTPLA01").
func makeID(prefix, name string, digits int, seen map[string]int) string {
	letters := 7 - len(prefix) - digits
	var b strings.Builder
	for _, r := range strings.ToUpper(name) {
		if b.Len() == letters {
			break
		}
		if r >= 'A' && r <= 'Z' {
			b.WriteRune(r)
		}
	}
	for b.Len() < letters {
		b.WriteByte('X')
	}
	stem := prefix + b.String()
	seen[stem]++
	return fmt.Sprintf("%s%0*d", stem, digits, seen[stem])
}

// incidentID returns a 14-character id in the style of PagerDuty's newer
// incident ids ("Q" and 13 base-36 characters). It is a bijection of the
// number for a given salt, so distinct numbers never collide.
func incidentID(salt uint64, number int) string {
	s := strings.ToUpper(strconv.FormatUint(fakeapi.SplitMix64(uint64(number)^salt), 36))
	return "Q" + strings.Repeat("0", 13-len(s)) + s
}

// incidentKey returns a 32-hex-digit de-duplication key.
func incidentKey(salt uint64, number int) string {
	a := fakeapi.SplitMix64(uint64(number) ^ salt ^ 0x5bd1e995)
	return fmt.Sprintf("%016x%016x", a, fakeapi.SplitMix64(a))
}
