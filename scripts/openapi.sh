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

package=@octokit/openapi
version=23.0.2
dir=$root/.local/openapi
member=package/generated/api.github.com.json
spec=$dir/api.github.com-$version.json

fetch() {
	if [ ! -s "$spec" ]; then
		if ! command -v npm >/dev/null 2>&1; then
			command -v apt-get >/dev/null 2>&1 || die "npm is not installed and there is no apt-get: install npm, or download $member of $package@$version yourself to $spec"
			local sudo=""
			[ "$(id -u)" -eq 0 ] || sudo="sudo"
			echo "openapi.sh: installing npm (apt-get) to fetch $package" >&2
			$sudo apt-get update -qq >/dev/null
			DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq npm >/dev/null
			command -v npm >/dev/null 2>&1 || die "apt-get did not install npm"
		fi
		mkdir -p "$dir"
		echo "openapi.sh: downloading $package@$version (about 30 MB) into $dir (npm pack)" >&2
		# Into a scratch directory first, so that an interrupted download
		# or unpacking never passes for the description.
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
		mv "$tmp/$member" "$spec"
		rm -rf "$tmp"
	fi
	echo "$spec"
}

case "${1:-}" in
	fetch) [ $# -eq 1 ] || die "usage: $0 fetch"; fetch ;;
	path) [ $# -eq 1 ] || die "usage: $0 path"; echo "$spec" ;;
	*) die "usage: $0 fetch | path" ;;
esac
