#!/usr/bin/env bash
# Renders a report of the demo data in headless Chromium and checks it as
# a browser sees it: the page must log nothing to the console (it runs no
# script, so any console message is a fault), must show its sections, and
# leaves a screenshot (by default docs/report.png, which the README shows).
#
#   scripts/report-check.sh [BIN] [CLICKHOUSE_DIR] [CLICKHOUSE_PORT] [SCREENSHOT]
#
# Installs Debian's chromium when it is missing, and starts (or reuses) a
# disposable ClickHouse with scripts/clickhouse.sh; it keeps running.
set -euo pipefail
cd "$(dirname "$0")/.."

bin=${1:-bin/doraflow}
ch_dir=${2:-.local/clickhouse-demo}
ch_port=${3:-19100}
shot=${4:-docs/report.png}
out=.local/report-check
database=dora_report_check

die() { echo "report-check: $*" >&2; exit 1; }

if ! command -v chromium >/dev/null 2>&1; then
	command -v apt-get >/dev/null 2>&1 || die "chromium is not installed and there is no apt-get: install Chromium and run again"
	sudo=""
	[ "$(id -u)" -eq 0 ] || sudo="sudo"
	echo "report-check: installing chromium (apt-get)" >&2
	$sudo apt-get update -qq >/dev/null
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null
fi

mkdir -p "$out" "$(dirname "$shot")"
scripts/clickhouse.sh start "$ch_dir" "$ch_port"
"$bin" demo --clickhouse "127.0.0.1:$ch_port" --database "$database" --force >/dev/null
cat >"$out/doraflow.yaml" <<YAML
clickhouse:
  addr: 127.0.0.1:$ch_port
  database: $database
YAML
"$bin" --config "$out/doraflow.yaml" report --output "$out/report.html"

profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
# No network, no sync, no first-run UI: the page must render from the
# file alone. The log (stderr) carries the page's console messages.
flags=(--headless --no-sandbox --disable-gpu --disable-background-networking --disable-component-update
	--disable-sync --no-first-run --user-data-dir="$profile" --enable-logging=stderr --v=0)
page="file://$PWD/$out/report.html"
chromium "${flags[@]}" --screenshot="$shot" --window-size=1280,2000 --hide-scrollbars "$page" 2>"$out/chromium.log" >/dev/null
chromium "${flags[@]}" --dump-dom "$page" 2>>"$out/chromium.log" >"$out/dom.html"

# Chromium logs console messages as INFO:CONSOLE(12)] or INFO:CONSOLE:12].
if grep -E ':CONSOLE[(:]' "$out/chromium.log" >&2; then
	die "the report logged to the browser console (above; full log in $out/chromium.log)"
fi
for want in "Deployment frequency" "Lead time for changes" "Change failure rate" "Time to restore" "Rework rate" "<svg" "Per service" "Definitions"; do
	grep -qF "$want" "$out/dom.html" || die "the rendered page has no \"$want\" ($out/dom.html)"
done
[ -s "$shot" ] || die "chromium wrote no screenshot"
echo "report-check: ok: $out/report.html renders without console messages; screenshot in $shot" >&2
