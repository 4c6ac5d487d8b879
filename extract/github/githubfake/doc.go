// Package githubfake is an in-process fake of the GitHub REST API, good
// enough that the real go-github client cannot tell it from GitHub for the
// calls doraflow's extractor makes.
//
// GitHub is not reachable from where doraflow is built and tested, so the
// extractor's tests, `make demo` and the benchmarks all run against this
// fake instead. It has two halves:
//
//   - an organisation model (Org, Repo and the objects in them) with a
//     deterministic generator, Generate, that scales from a handful of
//     objects to 50,000 pull requests and 50,000 workflow runs and always
//     includes the hard cases (squash, merge-commit and rebase merges, reverts,
//     hotfixes, lone commits on main, runs on other branches, drafts,
//     prereleases, failed and staging deployments, a monorepo, a repository
//     with a year of history before its first deployment), plus a builder
//     (NewOrg, AddRepo, AddCommit, AddPR, AddRun, AddRelease,
//     AddDeployment…) for tests that need exactly one case;
//   - a Server that answers the REST endpoints with GitHub's JSON shapes,
//     Link-header pagination, ETags and free 304s, primary and secondary
//     rate limits, token checks, and injected faults, and keeps a request
//     log for assertions.
//
// The server writes its JSON by hand (fakeapi.JSON), per request, from
// indexes built once, so a page costs the page and the whole organisation
// is never held as JSON. Faults are fakeapi's, shared with the PagerDuty
// fake. See README.md for the endpoint list and behaviours.
package githubfake
