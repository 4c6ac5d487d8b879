package custom

import (
	"fmt"
	"regexp"
	"strings"
)

// Custom records share their tables with the other sources' facts, keyed
// by id alone, and promote keeps per id the row of the block listed first
// in the config. A custom id equal to a GitHub or PagerDuty id would
// therefore replace that source's fact whenever a custom block comes
// first. Custom ids keep to their own namespace by refusing the shapes the
// other sources' ids take, rather than by prefixing custom ids: a prefix
// would have to be added to the ids callers send and removed from what
// explain shows, and ids stored by earlier versions, unprefixed, would
// stop matching their updates. Every other id keeps working as before.
//
// A custom incident's deployment_id may still name a GitHub deployment:
// it refers to another fact, it does not replace one.

// githubDeploymentID is the id the GitHub extractor gives a deployment:
// owner/name#kind-N for the kinds of its methods (extract/github: pr for
// merged_pr, run for workflow_run, release, deployment).
var githubDeploymentID = regexp.MustCompile(`^[^/\s]+/[^/\s]+#(pr|run|release|deployment)-[0-9]+$`)

// pagerDutyIncidentID is the shape of PagerDuty's incident ids: upper-case
// letters and digits, P and 6 more for the older ones (PT4KHLK), Q and 13
// more for the current ones (Q0RIJJZL24RC6W). Only those two lengths, and
// only with a digit in them, so that words custom ids are made of
// (PLATFORM, QUARTERLY) stay free; a custom incident stored earlier with
// such an id (PROD123) cannot be updated any more and needs a new id.
var pagerDutyIncidentID = regexp.MustCompile(`^(P[0-9A-Z]{6}|Q[0-9A-Z]{13})$`)

// checkOwnID refuses an id that has the shape of another source's ids;
// whose names that source's ids and their forms, for the message.
func checkOwnID(id string, shape *regexp.Regexp, whose string) error {
	if shape.MatchString(id) && (shape != pagerDutyIncidentID || strings.ContainsAny(id, "0123456789")) {
		return &FieldError{Field: "id", Message: fmt.Sprintf("%q has the form of %s, which custom records may not take (they would replace that source's record): choose another id, like deploy-4711 or INC-12", id, whose)}
	}
	return nil
}
