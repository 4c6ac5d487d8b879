# Sourced by scripts/clickhouse.sh and scripts/chdb.sh: the background
# processes they start keep their pid in DIR/pid.

# stop_pidfile stops the process of DIR/pid: SIGTERM, up to 30 s to
# finish, then SIGKILL.
stop_pidfile() {
	local dir=$1 pid
	[ -f "$dir/pid" ] || return 0
	pid=$(cat "$dir/pid")
	if kill -0 "$pid" 2>/dev/null; then
		kill "$pid"
		for _ in $(seq 1 60); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.5
		done
		kill -9 "$pid" 2>/dev/null || true
	fi
	rm -f "$dir/pid"
}

# alive_pidfile reports whether the process of DIR/pid is running.
alive_pidfile() {
	[ -f "$1/pid" ] && kill -0 "$(cat "$1/pid")" 2>/dev/null
}
