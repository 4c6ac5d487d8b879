// Package pagerdutyfake is an in-process fake of the PagerDuty REST API v2,
// close enough to the real service that the real go-pagerduty client and
// doraflow's PagerDuty extractor can be tested against it.
//
// It has two halves:
//
//   - Data, the account's contents: teams, services, priorities, users and
//     incidents. Build it by hand (New, AddTeam, AddService, AddPriority,
//     AddUser, AddIncident) or generate it deterministically from a seed
//     (Generate), then change it while a server serves it (Resolve,
//     Acknowledge, Merge, Delete), as PagerDuty's own data changes between
//     syncs.
//   - Server, an http.Handler that answers GET /incidents, /incidents/{id},
//     /services, /services/{id}, /teams, /teams/{id} and /priorities, and
//     PUT /incidents/{id}/merge, with the JSON documents, pagination,
//     filters, limits, day-precision time ranges, authentication schemes
//     and errors of the real API,
//     plus knobs the real API does not give: a request budget (429), injected
//     5xx responses, dropped and truncated connections (fakeapi's faults,
//     shared with the GitHub fake), added latency, an injectable clock, and
//     a log of every request for assertions.
//
// A typical test:
//
//	d := pagerdutyfake.Generate(1, pagerdutyfake.Small())
//	srv := pagerdutyfake.NewServer(d, pagerdutyfake.Options{Token: "t"})
//	srv.Start()
//	defer srv.Close()
//	client := pagerduty.NewClient("t", pagerduty.WithAPIEndpoint(srv.URL()))
//
// The package keeps no global state and starts no goroutines of its own
// beyond the httptest server that Start creates. See README.md for the
// endpoints, behaviours and options in detail.
package pagerdutyfake
