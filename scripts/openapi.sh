#!/usr/bin/env bash
# Fetches GitHub's official OpenAPI description of its REST API, which the
# tests hold the fake GitHub (extract/github/githubfake) to: every response
# the fake gives the extractor is validated against it
# (internal/openapitest).
#
#   scripts/openapi.sh fetch    get it into .local/openapi/ if missing (npm pack, about 30 MB) and print its path
#   scripts/openapi.sh path     print where fetch puts it (fetching nothing)
#
# The description is the one the npm package @octokit/openapi ships, built
# from https://github.com/github/rest-api-description, pinned to a version
# so that a test run is reproducible. Of its variants, the bundled
# generated/api.github.com.json (13 MB, schemas shared through $ref) is
# the one to load: the dereferenced variant is 73 MB of the same schemas
# copied into every operation and takes several times longer to parse.
set -euo pipefail

die() { echo "openapi.sh: $*" >&2; exit 1; }

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/npm-member.sh
. "$root/scripts/npm-member.sh"

package=@octokit/openapi
version=23.0.2
dir=$root/.local/openapi
member=package/generated/api.github.com.json
spec=$dir/api.github.com-$version.json

fetch() {
	npm_member "$package" "$version" "$member" "$spec"
	echo "$spec"
}

case "${1:-}" in
	fetch) [ $# -eq 1 ] || die "usage: $0 fetch"; fetch ;;
	path) [ $# -eq 1 ] || die "usage: $0 path"; echo "$spec" ;;
	*) die "usage: $0 fetch | path" ;;
esac
