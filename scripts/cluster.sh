#!/usr/bin/env bash
# Runs a disposable ClickHouse cluster for `make test-cluster`: one
# ZooKeeper (Debian's zookeeper package) and two ClickHouse servers that are
# the two replicas of the one shard of cluster "doraflow_test", all on
# loopback ports, with their data under DIR, as the current user.
#
#   scripts/cluster.sh start DIR   start the cluster in DIR, or reuse it
#   scripts/cluster.sh stop DIR    stop it
#
# Ports: ZooKeeper 19281; ClickHouse tcp 19200 and 19210 (http +1,
# interserver +2). Each server is a scripts/clickhouse.sh server whose
# config.d/cluster.xml adds ZooKeeper, the cluster and its macros.
set -euo pipefail
# shellcheck source=pidfile.sh
. "$(dirname "$0")/pidfile.sh"

here=$(cd "$(dirname "$0")" && pwd)
ZK_PORT=19281
CH_PORTS=(19200 19210)
CLUSTER=doraflow_test

die() { echo "cluster.sh: $*" >&2; exit 1; }

install_zookeeper() {
	[ -f /usr/share/java/zookeeper.jar ] && command -v java >/dev/null 2>&1 && return 0
	command -v apt-get >/dev/null 2>&1 || die "ZooKeeper is not installed and there is no apt-get: install ZooKeeper 3.5+ and a JRE and run again"
	local sudo=""
	[ "$(id -u)" -eq 0 ] || sudo="sudo"
	echo "cluster.sh: installing zookeeper (apt-get; it pulls a JRE)" >&2
	$sudo apt-get update -qq >/dev/null
	# Only the jar is used: the package's own service stays unconfigured.
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq zookeeper >/dev/null
	[ -f /usr/share/java/zookeeper.jar ] || die "apt-get did not install /usr/share/java/zookeeper.jar"
}

# zk_ok asks ZooKeeper's four-letter "ruok" without nc, which Debian lacks
# by default.
zk_ok() {
	local reply
	reply=$(timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$ZK_PORT; echo ruok >&3; cat <&3" 2>/dev/null) || return 1
	[ "$reply" = imok ]
}

alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

ch_ok() { clickhouse-client --host 127.0.0.1 --port "$1" -q 'SELECT 1' >/dev/null 2>&1; }

start_zookeeper() {
	local dir=$1/zookeeper
	mkdir -p "$dir/data"
	cat > "$dir/zoo.cfg" <<CFG
tickTime=2000
dataDir=$dir/data
clientPort=$ZK_PORT
clientPortAddress=127.0.0.1
# No admin web server (it would take port 8080) and no snapshots to purge.
admin.enableServer=false
4lw.commands.whitelist=ruok
maxClientCnxns=0
CFG
	# ZooKeeperServerMain is a standalone server: no quorum, no myid. The
	# jar's manifest lists its dependencies.
	nohup java -Xmx256m -cp "/usr/share/java/zookeeper.jar" \
		org.apache.zookeeper.server.ZooKeeperServerMain "$dir/zoo.cfg" >"$dir/stdout.log" 2>&1 &
	echo $! >"$dir/pid"
	for _ in $(seq 1 60); do
		zk_ok && return 0
		alive "$dir/pid" || break
		sleep 0.5
	done
	tail -n 20 "$dir/stdout.log" >&2 || true
	die "ZooKeeper did not answer on 127.0.0.1:$ZK_PORT within 30s (log above)"
}

# server_config writes the cluster part of replica N's config.
server_config() {
	local dir=$1 n=$2 port=${CH_PORTS[$(( $2 - 1 ))]}
	mkdir -p "$dir/config.d"
	{
		cat <<XML
<?xml version="1.0"?>
<yandex>
  <interserver_http_host>127.0.0.1</interserver_http_host>
  <interserver_http_port>$(( port + 2 ))</interserver_http_port>
  <zookeeper><node><host>127.0.0.1</host><port>$ZK_PORT</port></node></zookeeper>
  <distributed_ddl><path>/clickhouse/task_queue/ddl</path></distributed_ddl>
  <remote_servers>
    <$CLUSTER>
      <shard>
        <internal_replication>true</internal_replication>
XML
		for p in "${CH_PORTS[@]}"; do
			echo "        <replica><host>127.0.0.1</host><port>$p</port></replica>"
		done
		cat <<XML
      </shard>
    </$CLUSTER>
  </remote_servers>
  <macros><shard>01</shard><replica>replica$n</replica></macros>
</yandex>
XML
	} >"$dir/config.d/cluster.xml"
}

running() {
	local dir=$1 n
	alive "$dir/zookeeper/pid" && zk_ok || return 1
	for n in 1 2; do
		alive "$dir/clickhouse$n/pid" && ch_ok "${CH_PORTS[$(( n - 1 ))]}" || return 1
	done
}

start() {
	local dir=$1 n port
	mkdir -p "$dir"
	dir=$(cd "$dir" && pwd)
	if running "$dir"; then
		echo "cluster.sh: reusing the cluster in $dir" >&2
		return 0
	fi
	# A half-running cluster, or one whose ZooKeeper lost its data, would
	# leave replicated tables read-only: start from nothing.
	stop "$dir"
	zk_ok && die "port $ZK_PORT already answers but is not the ZooKeeper of $dir: stop it first"
	rm -rf "${dir:?}"/zookeeper "${dir:?}"/clickhouse1 "${dir:?}"/clickhouse2
	"$here/clickhouse.sh" install
	install_zookeeper
	start_zookeeper "$dir"
	for n in 1 2; do
		port=${CH_PORTS[$(( n - 1 ))]}
		server_config "$dir/clickhouse$n" "$n"
		"$here/clickhouse.sh" start "$dir/clickhouse$n" "$port"
	done
	# The servers connect to ZooKeeper lazily: wait until both can use it.
	for port in "${CH_PORTS[@]}"; do
		for _ in $(seq 1 60); do
			clickhouse-client --host 127.0.0.1 --port "$port" -q "SELECT count() FROM system.zookeeper WHERE path = '/'" >/dev/null 2>&1 && continue 2
			sleep 0.5
		done
		die "the server on port $port cannot reach ZooKeeper (see $dir/clickhouse*/log)"
	done
	echo "cluster.sh: cluster $CLUSTER answers on 127.0.0.1:${CH_PORTS[0]},127.0.0.1:${CH_PORTS[1]} (ZooKeeper 127.0.0.1:$ZK_PORT)" >&2
}

stop() {
	local dir=$1 n
	for n in 1 2; do
		"$here/clickhouse.sh" stop "$dir/clickhouse$n"
	done
	stop_pidfile "$dir/zookeeper"
}

case "${1:-}" in
	start) [ $# -eq 2 ] || die "usage: $0 start DIR"; start "$2" ;;
	stop) [ $# -eq 2 ] || die "usage: $0 stop DIR"; stop "$2" ;;
	*) die "usage: $0 start DIR | stop DIR" ;;
esac
