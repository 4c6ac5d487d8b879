#!/usr/bin/env bash
# Fetches GitHub's published GraphQL schema, which the fake GitHub
# (extract/github/githubfake) validates every query against: a query the
# extractor sends that the real API would reject fails the tests.
#
#   scripts/graphql-schema.sh fetch    get it into .local/graphql-schema/ if missing (npm pack, about 1 MB) and print its path
#   scripts/graphql-schema.sh path     print where fetch puts it (fetching nothing)
#
# The schema is the schema.graphql that the npm package
# @octokit/graphql-schema ships (https://github.com/octokit/graphql-schema,
# built from GitHub's public schema, docs.github.com "Public schema"),
# pinned to a version so that a test run is reproducible.
set -euo pipefail

die() { echo "graphql-schema.sh: $*" >&2; exit 1; }

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/npm-member.sh
. "$root/scripts/npm-member.sh"

package=@octokit/graphql-schema
version=15.26.1
dir=$root/.local/graphql-schema
member=package/schema.graphql
schema=$dir/schema-$version.graphql

fetch() {
	npm_member "$package" "$version" "$member" "$schema"
	echo "$schema"
}

case "${1:-}" in
	fetch) [ $# -eq 1 ] || die "usage: $0 fetch"; fetch ;;
	path) [ $# -eq 1 ] || die "usage: $0 path"; echo "$schema" ;;
	*) die "usage: $0 fetch | path" ;;
esac
