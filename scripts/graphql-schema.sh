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

package=@octokit/graphql-schema
version=15.26.1
dir=$root/.local/graphql-schema
member=package/schema.graphql
schema=$dir/schema-$version.graphql

fetch() {
	if [ ! -s "$schema" ]; then
		if ! command -v npm >/dev/null 2>&1; then
			command -v apt-get >/dev/null 2>&1 || die "npm is not installed and there is no apt-get: install npm, or download $member of $package@$version yourself to $schema"
			local sudo=""
			[ "$(id -u)" -eq 0 ] || sudo="sudo"
			echo "graphql-schema.sh: installing npm (apt-get) to fetch $package" >&2
			$sudo apt-get update -qq >/dev/null
			DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq npm >/dev/null
			command -v npm >/dev/null 2>&1 || die "apt-get did not install npm"
		fi
		mkdir -p "$dir"
		echo "graphql-schema.sh: downloading $package@$version into $dir (npm pack)" >&2
		# Into a scratch directory first, so that an interrupted download
		# or unpacking never passes for the schema.
		local tmp
		tmp=$(mktemp -d "$dir/pack.XXXXXX")
		if ! (cd "$tmp" && npm pack --silent "$package@$version" >/dev/null); then
			rm -rf "$tmp"
			die "npm pack $package@$version failed"
		fi
		if ! tar xzf "$tmp"/*.tgz -C "$tmp" "$member"; then
			rm -rf "$tmp"
			die "$package@$version has no $member: the package's layout changed, pick the new path in $0"
		fi
		mv "$tmp/$member" "$schema"
		rm -rf "$tmp"
	fi
	echo "$schema"
}

case "${1:-}" in
	fetch) [ $# -eq 1 ] || die "usage: $0 fetch"; fetch ;;
	path) [ $# -eq 1 ] || die "usage: $0 path"; echo "$schema" ;;
	*) die "usage: $0 fetch | path" ;;
esac
