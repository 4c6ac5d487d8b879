#!/usr/bin/env bash
# Runs a disposable ClickHouse server for tests and the demo: its own
# config, data directory and ports, as the current user (root included),
# next to any system-wide server.
#
#   scripts/clickhouse.sh install          install Debian's clickhouse-server if missing
#   scripts/clickhouse.sh start DIR PORT [tls]
#                                          start a server in DIR on tcp PORT (http PORT+1), or reuse it;
#                                          with tls also native TLS on PORT+2 and HTTPS on PORT+3, with a
#                                          throwaway CA and certificate in DIR/tls (ca.pem signs them)
#   scripts/clickhouse.sh stop DIR         stop the server of DIR
#   scripts/clickhouse.sh running DIR PORT exit 0 when the server of DIR answers on PORT
set -euo pipefail
# shellcheck source=pidfile.sh
. "$(dirname "$0")/pidfile.sh"

die() { echo "clickhouse.sh: $*" >&2; exit 1; }

install() {
	if command -v clickhouse-server >/dev/null 2>&1 && command -v clickhouse-client >/dev/null 2>&1; then
		return 0
	fi
	command -v apt-get >/dev/null 2>&1 || die "clickhouse-server is not installed and there is no apt-get: install ClickHouse (https://clickhouse.com/docs/install) and run again"
	local sudo=""
	[ "$(id -u)" -eq 0 ] || sudo="sudo"
	echo "clickhouse.sh: installing clickhouse-server and clickhouse-client (apt-get)" >&2
	$sudo apt-get update -qq >/dev/null
	# The package's postinst tries to start a system service; policy-rc.d or
	# a missing init system make that fail harmlessly, so do not abort.
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq clickhouse-server clickhouse-client >/dev/null
	command -v clickhouse-server >/dev/null 2>&1 || die "apt-get did not install clickhouse-server"
}

ping() { clickhouse-client --host 127.0.0.1 --port "$1" -q 'SELECT 1' >/dev/null 2>&1; }

start() {
	local dir=$1 port=$2 http=$(( $2 + 1 )) tls=${3:-} secure=""
	mkdir -p "$dir"
	dir=$(cd "$dir" && pwd)
	if [ "$tls" = tls ]; then
		"$(dirname "$0")/tls-certs.sh" "$dir/tls"
		secure="<tcp_port_secure>$(( port + 2 ))</tcp_port_secure>
  <https_port>$(( port + 3 ))</https_port>
  <openSSL><server>
    <certificateFile>$dir/tls/server.pem</certificateFile>
    <privateKeyFile>$dir/tls/server.key</privateKeyFile>
    <verificationMode>none</verificationMode>
    <loadDefaultCAFile>false</loadDefaultCAFile>
    <disableProtocols>sslv2,sslv3,tlsv1,tlsv1_1</disableProtocols>
    <preferServerCiphers>true</preferServerCiphers>
  </server></openSSL>"
	fi
	if alive_pidfile "$dir" && ping "$port"; then
		echo "clickhouse.sh: reusing the server in $dir (port $port)" >&2
		return 0
	fi
	if ping "$port"; then
		die "port $port already answers but is not the server of $dir: stop it or choose another port"
	fi
	mkdir -p "$dir/data" "$dir/tmp" "$dir/log" "$dir/user_files" "$dir/format_schemas"
	cat > "$dir/config.xml" <<XML
<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>$dir/log/server.log</log><errorlog>$dir/log/error.log</errorlog><size>50M</size><count>2</count></logger>
  <tcp_port>$port</tcp_port>
  <http_port>$http</http_port>
  $secure
  <listen_host>127.0.0.1</listen_host>
  <max_connections>1024</max_connections>
  <keep_alive_timeout>3</keep_alive_timeout>
  <max_concurrent_queries>200</max_concurrent_queries>
  <uncompressed_cache_size>268435456</uncompressed_cache_size>
  <mark_cache_size>268435456</mark_cache_size>
  <path>$dir/data/</path>
  <tmp_path>$dir/tmp/</tmp_path>
  <user_files_path>$dir/user_files/</user_files_path>
  <format_schema_path>$dir/format_schemas/</format_schema_path>
  <users_config>$dir/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <timezone>UTC</timezone>
  <mlock_executable>false</mlock_executable>
</yandex>
XML
	cat > "$dir/users.xml" <<XML
<?xml version="1.0"?>
<yandex>
  <profiles><default><max_memory_usage>4000000000</max_memory_usage></default></profiles>
  <users>
    <default>
      <password></password>
      <networks><ip>::1</ip><ip>127.0.0.1</ip></networks>
      <profile>default</profile>
      <quota>default</quota>
    </default>
  </users>
  <quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors><result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time></interval></default></quotas>
</yandex>
XML
	nohup clickhouse-server --config-file="$dir/config.xml" >"$dir/log/stdout.log" 2>&1 &
	echo $! >"$dir/pid"
	for _ in $(seq 1 120); do
		if ping "$port"; then
			echo "clickhouse.sh: server in $dir answers on 127.0.0.1:$port" >&2
			return 0
		fi
		sleep 0.5
	done
	tail -n 20 "$dir/log/error.log" "$dir/log/stdout.log" >&2 2>/dev/null || true
	die "the server in $dir did not answer on port $port within 60s (logs above)"
}

stop() { stop_pidfile "$1"; }

# running tells make whether a server was already up before it started
# one, so that it stops only what it started.
running() {
	local dir=$1 port=$2
	alive_pidfile "$dir" && ping "$port"
}

case "${1:-}" in
	install) install ;;
	start) [ $# -eq 3 ] || { [ $# -eq 4 ] && [ "$4" = tls ]; } || die "usage: $0 start DIR PORT [tls]"; install; start "$2" "$3" "${4:-}" ;;
	stop) [ $# -eq 2 ] || die "usage: $0 stop DIR"; stop "$2" ;;
	running) [ $# -eq 3 ] || die "usage: $0 running DIR PORT"; running "$2" "$3" ;;
	*) die "usage: $0 install | start DIR PORT [tls] | stop DIR | running DIR PORT" ;;
esac
