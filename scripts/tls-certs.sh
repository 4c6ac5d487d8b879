#!/usr/bin/env bash
# Makes a throwaway certificate authority and a server certificate it
# signs, for the TLS tests: DIR/ca.pem, DIR/server.pem and DIR/server.key,
# valid for localhost and 127.0.0.1 for 30 days. Reuses what is there
# while the certificate has more than a day to live.
#
#   scripts/tls-certs.sh DIR
set -euo pipefail

die() { echo "tls-certs.sh: $*" >&2; exit 1; }
[ $# -eq 1 ] || die "usage: $0 DIR"
dir=$1

if ! command -v openssl >/dev/null 2>&1; then
	sudo=""
	[ "$(id -u)" -eq 0 ] || sudo="sudo"
	echo "tls-certs.sh: installing openssl (apt-get)" >&2
	$sudo apt-get update -qq >/dev/null
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq openssl >/dev/null
fi

if [ -f "$dir/server.pem" ] && [ -f "$dir/server.key" ] && [ -f "$dir/ca.pem" ] &&
	openssl x509 -checkend 86400 -noout -in "$dir/server.pem" >/dev/null 2>&1; then
	exit 0
fi
mkdir -p "$dir"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=doraflow throwaway test CA" \
	-keyout "$tmp/ca.key" -out "$tmp/ca.pem" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" \
	-keyout "$tmp/server.key" -out "$tmp/server.csr" 2>/dev/null
printf '%s\n' "subjectAltName=DNS:localhost,IP:127.0.0.1" "basicConstraints=CA:FALSE" \
	"keyUsage=digitalSignature,keyEncipherment" "extendedKeyUsage=serverAuth" >"$tmp/ext.cnf"
openssl x509 -req -in "$tmp/server.csr" -CA "$tmp/ca.pem" -CAkey "$tmp/ca.key" -CAcreateserial \
	-days 30 -extfile "$tmp/ext.cnf" -out "$tmp/server.pem" 2>/dev/null
# The CA's key is not kept: nothing can sign with it after this run.
mv "$tmp/ca.pem" "$tmp/server.pem" "$tmp/server.key" "$dir/"
echo "tls-certs.sh: made a throwaway CA and server certificate in $dir" >&2
