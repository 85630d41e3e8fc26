#!/usr/bin/env bash
# install-deps.sh installs the real servers firebreak's integration tests start
# (Prometheus, Alertmanager, PostgreSQL 15, PgBouncer) from Debian's packages.
#
# It is idempotent and fast when everything is present: it checks first and
# runs apt-get update only when a package is missing. It never starts a
# service; the tests run the binaries themselves (see docs/components.md).
# It must run as root (CI machines and the development machines are root).
set -euo pipefail

log() { printf 'install-deps: %s\n' "$*"; }

if [ "$(id -u)" -ne 0 ]; then
	log "must run as root (apt-get install)" >&2
	exit 1
fi

# package name -> a path that proves the binary we need is installed.
declare -A want=(
	[prometheus]=/usr/bin/prometheus
	[prometheus-alertmanager]=/usr/bin/prometheus-alertmanager
	[pgbouncer]=/usr/sbin/pgbouncer
	[postgresql]=/usr/lib/postgresql/15/bin/initdb
)

missing=()
for pkg in prometheus prometheus-alertmanager pgbouncer postgresql; do
	bin=${want[$pkg]}
	if [ -x "$bin" ] && dpkg -s "$pkg" >/dev/null 2>&1; then
		log "$pkg present ($bin)"
	else
		missing+=("$pkg")
	fi
done

if [ "${#missing[@]}" -gt 0 ]; then
	# policy-rc.d stops Debian's maintainer scripts from starting the
	# services on machines that do have an init system; the tests start
	# their own instances on free ports.
	created_policy=0
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
		chmod 0755 /usr/sbin/policy-rc.d
		created_policy=1
	fi
	trap 'if [ "$created_policy" -eq 1 ]; then rm -f /usr/sbin/policy-rc.d; fi' EXIT
	log "installing: ${missing[*]}"
	apt-get update -q
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
	for pkg in "${missing[@]}"; do
		if [ ! -x "${want[$pkg]}" ]; then
			log "$pkg installed but ${want[$pkg]} is missing" >&2
			exit 1
		fi
		log "$pkg installed (${want[$pkg]})"
	done
else
	log "nothing to install"
fi

# Binaries built from the Go module proxy (Loki, etcd, ...) are cached here
# under versioned names by the scripts that build them.
mkdir -p "$HOME/.cache/firebreak/bin"
log "cache dir $HOME/.cache/firebreak/bin ready"
