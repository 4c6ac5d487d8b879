# Sourced by scripts/openapi.sh and scripts/graphql-schema.sh: both keep
# one file of a pinned npm package under .local, fetched once.

# npm_member PACKAGE VERSION MEMBER DEST fetches MEMBER (a path inside the
# package's tarball, package/…) of PACKAGE@VERSION into DEST, unless DEST
# is there already, installing npm with apt-get when it is missing. The
# caller's die reports failures.
npm_member() {
	local package=$1 version=$2 member=$3 dest=$4
	[ -s "$dest" ] && return 0
	if ! command -v npm >/dev/null 2>&1; then
		command -v apt-get >/dev/null 2>&1 || die "npm is not installed and there is no apt-get: install npm, or download $member of $package@$version yourself to $dest"
		local sudo=""
		[ "$(id -u)" -eq 0 ] || sudo="sudo"
		echo "$(basename "$0"): installing npm (apt-get) to fetch $package" >&2
		$sudo apt-get update -qq >/dev/null
		DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq npm >/dev/null
		command -v npm >/dev/null 2>&1 || die "apt-get did not install npm"
	fi
	local dir
	dir=$(dirname "$dest")
	mkdir -p "$dir"
	echo "$(basename "$0"): downloading $package@$version into $dir (npm pack)" >&2
	# Into a scratch directory first, so that an interrupted download or
	# unpacking never passes for the file.
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
	mv "$tmp/$member" "$dest"
	rm -rf "$tmp"
}
