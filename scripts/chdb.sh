#!/usr/bin/env bash
# Runs chdbfront (cmd/chdbfront) for tests: ClickHouse's HTTP interface in
# front of chDB's in-process engine, a current ClickHouse without a
# server, with its own data directory and port.
#
#   scripts/chdb.sh fetch                      get libchdb into .local/chdb/package/ if missing (npm pack, about 170 MB)
#   scripts/chdb.sh start DIR PORT [TLSPORT CERT KEY]
#                                              build chdbfront into DIR and start it on 127.0.0.1:PORT
#                                              (and HTTPS on TLSPORT), or reuse it
#   scripts/chdb.sh stop DIR                   stop the front of DIR
#   scripts/chdb.sh running DIR PORT           exit 0 when the front of DIR answers on PORT
#
# CHDB_LIB_PATH, when set, is the libchdb.so to use instead of the fetched
# one; GO is the go command (default: go on PATH, else /usr/local/go/bin/go).
set -euo pipefail
# shellcheck source=pidfile.sh
. "$(dirname "$0")/pidfile.sh"

die() { echo "chdb.sh: $*" >&2; exit 1; }

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
GO=${GO:-$(command -v go 2>/dev/null || echo /usr/local/go/bin/go)}

# The engine is chDB's libchdb as published on npm, ClickHouse 26.5.
chdb_package=@chdb/lib-linux-x64-gnu
chdb_version=26.5.3
chdb_dir=$root/.local/chdb
fetched_lib=$chdb_dir/package/libchdb.so
lib=${CHDB_LIB_PATH:-$fetched_lib}

fetch() {
	[ -f "$fetched_lib" ] && return 0
	[ "$(uname -s)/$(uname -m)" = Linux/x86_64 ] || die "$chdb_package is for Linux on x86-64, this is $(uname -s)/$(uname -m): get libchdb for it from https://github.com/chdb-io/chdb and set CHDB_LIB_PATH"
	if ! command -v npm >/dev/null 2>&1; then
		command -v apt-get >/dev/null 2>&1 || die "npm is not installed and there is no apt-get: install npm (or get libchdb.so yourself and set CHDB_LIB_PATH)"
		local sudo=""
		[ "$(id -u)" -eq 0 ] || sudo="sudo"
		echo "chdb.sh: installing npm (apt-get) to fetch libchdb" >&2
		$sudo apt-get update -qq >/dev/null
		DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq npm >/dev/null
		command -v npm >/dev/null 2>&1 || die "apt-get did not install npm"
	fi
	mkdir -p "$chdb_dir"
	local tgz=$chdb_dir/chdb-lib-linux-x64-gnu-$chdb_version.tgz
	if [ ! -s "$tgz" ]; then
		echo "chdb.sh: downloading $chdb_package@$chdb_version (about 170 MB) into $chdb_dir (npm pack)" >&2
		# Into a scratch directory first, so that an interrupted download
		# never passes for the package.
		local tmp
		tmp=$(mktemp -d "$chdb_dir/pack.XXXXXX")
		if ! (cd "$tmp" && npm pack --silent "$chdb_package@$chdb_version" >/dev/null); then
			rm -rf "$tmp"
			die "npm pack $chdb_package@$chdb_version failed"
		fi
		mv "$tmp"/*.tgz "$tgz"
		rm -rf "$tmp"
	fi
	echo "chdb.sh: unpacking libchdb.so from $tgz" >&2
	tar xzf "$tgz" -C "$chdb_dir" package/libchdb.so
	[ -f "$fetched_lib" ] || die "$tgz has no package/libchdb.so"
}

# ping uses chdbfront itself: neither curl nor bash's /dev/tcp needed.
ping() { [ -x "$1/chdbfront" ] && "$1/chdbfront" --ping "127.0.0.1:$2" >/dev/null 2>&1; }

build() {
	(cd "$root" && "$GO" build -o "$1/chdbfront" ./cmd/chdbfront) || die "go build ./cmd/chdbfront failed"
}

start() {
	local dir=$1 port=$2 tlsport=${3:-} cert=${4:-} key=${5:-}
	mkdir -p "$dir"
	dir=$(cd "$dir" && pwd)
	if running "$dir" "$port"; then
		echo "chdb.sh: reusing the front in $dir (port $port)" >&2
		return 0
	fi
	[ -f "$lib" ] || die "libchdb not found at $lib: run scripts/chdb.sh fetch"
	build "$dir"
	if ping "$dir" "$port"; then
		die "port $port already answers but is not the front of $dir: stop it or choose another port"
	fi
	local args=(--lib "$lib" --path "$dir/data" --listen "127.0.0.1:$port")
	if [ -n "$tlsport" ]; then
		[ -f "$cert" ] && [ -f "$key" ] || die "TLS needs a certificate and a key file: $cert, $key"
		args+=(--tls-listen "127.0.0.1:$tlsport" --tls-cert "$(cd "$(dirname "$cert")" && pwd)/$(basename "$cert")" --tls-key "$(cd "$(dirname "$key")" && pwd)/$(basename "$key")")
	fi
	mkdir -p "$dir/data" "$dir/log"
	nohup "$dir/chdbfront" "${args[@]}" >>"$dir/log/chdbfront.log" 2>&1 &
	local pid=$!
	echo "$pid" >"$dir/pid"
	for _ in $(seq 1 120); do
		if ping "$dir" "$port"; then
			echo "chdb.sh: front in $dir answers on 127.0.0.1:$port${tlsport:+ (https on $tlsport)}" >&2
			return 0
		fi
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.5
	done
	tail -n 20 "$dir/log/chdbfront.log" >&2 2>/dev/null || true
	kill "$pid" 2>/dev/null || true
	rm -f "$dir/pid"
	die "the front in $dir did not answer on port $port (log above)"
}

stop() { stop_pidfile "$1"; }

# running tells make whether a front was already up before it started
# one, so that it stops only what it started.
running() {
	local dir=$1 port=$2
	alive_pidfile "$dir" && ping "$dir" "$port"
}

case "${1:-}" in
	fetch) [ $# -eq 1 ] || die "usage: $0 fetch"; fetch ;;
	start)
		[ $# -eq 3 ] || [ $# -eq 6 ] || die "usage: $0 start DIR PORT [TLSPORT CERT KEY]"
		[ -n "${CHDB_LIB_PATH:-}" ] || fetch
		start "${@:2}" ;;
	stop) [ $# -eq 2 ] || die "usage: $0 stop DIR"; stop "$2" ;;
	running) [ $# -eq 3 ] || die "usage: $0 running DIR PORT"; running "$2" "$3" ;;
	*) die "usage: $0 fetch | start DIR PORT [TLSPORT CERT KEY] | stop DIR | running DIR PORT" ;;
esac
