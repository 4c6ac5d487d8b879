// Package fakeapi is what a fake HTTP API needs besides the service it
// fakes: JSON written by hand, deterministic hashes, delays that end when
// the client gives up, and one way to inject faults.
//
// The fakes of GitHub (extract/github/githubfake) and PagerDuty
// (extract/pagerduty/pagerdutyfake) are built on it. Each keeps only what
// its service does: its documents, its errors, its rate limits.
//
// Faults: a Fault says what happens to one request (a delay, a status
// instead of the answer, a dropped connection, a body cut short), and a
// Policy picks the Fault for each request. FailAt, FailEvery, FailRate,
// FailRatePerURL, ForPath and First build policies; Queue fails the next
// requests of a running server. Both fakes take a Policy in
// Options.Faults and log the Fault each request got.
package fakeapi
