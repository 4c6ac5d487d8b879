package pagerduty

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	pd "github.com/PagerDuty/go-pagerduty"
)

// ErrUnauthorized means PagerDuty refused the API token (HTTP 401 or 403).
// Errors that wrap it tell the user to check pagerduty.token and its
// token_type (a key in the wrong scheme is refused alike); match with
// errors.Is.
var ErrUnauthorized = errors.New("pagerduty: the API token was refused")

// callError describes the failure of one API call, naming the endpoint.
// The token travels only in the Authorization header, which neither
// go-pagerduty's errors nor httpretry's include, so wrapping their
// messages cannot leak it.
func callError(ctx context.Context, endpoint string, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		// go-pagerduty flattens transport errors with %v, so a cancellation
		// is only recognisable on ctx itself.
		return fmt.Errorf("pagerduty: %s: %w", endpoint, ctxErr)
	}
	// By status, not by error code: PagerDuty has been seen answering 401
	// in text/plain, without its JSON error object.
	if code := httpStatus(err); code == http.StatusUnauthorized || code == http.StatusForbidden {
		return fmt.Errorf("%w (HTTP %d) — check pagerduty.token and pagerduty.token_type (token for a REST API key, bearer for an OAuth token)", ErrUnauthorized, code)
	}
	return fmt.Errorf("pagerduty: %s: %w", endpoint, err)
}

// httpStatus is the status of a failed API response, or 0 when err is not
// one (a transport or decoding failure).
func httpStatus(err error) int {
	var ae pd.APIError
	if errors.As(err, &ae) {
		return ae.StatusCode
	}
	return 0
}

// offsetRefused reports whether PagerDuty refused a page for reaching past
// its offset cap: a 400 whose message or details speak of the offset (code
// 2002, "Offset+limit exceeds maximum allowed value of 10000", though the
// code is shared with other argument errors, hence the text).
func offsetRefused(err error) bool {
	var ae pd.APIError
	return errors.As(err, &ae) && ae.StatusCode == http.StatusBadRequest &&
		strings.Contains(strings.ToLower(ae.Error()), "offset")
}
