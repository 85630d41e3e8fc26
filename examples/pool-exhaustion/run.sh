#!/usr/bin/env bash
# run.sh brings up firebreak's pool-exhaustion scenario on this machine, all on
# 127.0.0.1, with its state in ${TMPDIR:-/tmp}/firebreak-pool-demo:
#
#   PostgreSQL 127.0.0.1:15432 <- PgBouncer 127.0.0.1:16432 (default_pool_size=2)
#     <- demo payment API 127.0.0.1:18080 <- load generator (40 workers)
#   Prometheus 127.0.0.1:19090 scrapes the demo, fires DemoHighErrorRate
#     -> Alertmanager 127.0.0.1:19093 -> firebreak dev 127.0.0.1:9095
#     -> runbook pool-exhaustion grows the pool through the admin console.
#
# Usage (from anywhere; it works in the repository root):
#   examples/pool-exhaustion/run.sh                 the whole scenario; Ctrl-C stops it
#   examples/pool-exhaustion/run.sh --no-firebreak  everything but firebreak, then a
#       self-check (alert fires, a manual pool change clears it) and exit
#   examples/pool-exhaustion/run.sh --measure       error ratio per pool size (no monitoring)
#   examples/pool-exhaustion/run.sh --approval      the runbook waits for an approval: give it
#       with the `firebreak approve` command the script prints
# Options: --duration D (load; default 10m, or 10s per pool size with --measure),
#          --concurrency N (load workers; default 40).
#
# It installs nothing: scripts/install-deps.sh installs PostgreSQL, PgBouncer,
# Prometheus and Alertmanager. Every process it starts is stopped when it
# exits, however it exits; logs stay in the state directory until the next run.
set -euo pipefail

mode=scenario
approval=0
load_duration=10m
concurrency=40
while [ $# -gt 0 ]; do
	case "$1" in
	--no-firebreak) mode=check ;;
	--measure) mode=measure ;;
	--approval) approval=1 ;;
	--duration) load_duration=${2:?--duration needs a value}; shift ;;
	--concurrency) concurrency=${2:?--concurrency needs a value}; shift ;;
	-h | --help) awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; exit 0 ;;
	*) echo "run.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
	esac
	shift
done

# Fixed ports: prometheus.yml, alertmanager.yml and firebreak.hcl name them.
PG_PORT=15432
BOUNCER_PORT=16432
DEMO_ADDR=127.0.0.1:18080
PROM_ADDR=127.0.0.1:19090
AM_ADDR=127.0.0.1:19093
FIREBREAK_ADDR=127.0.0.1:9095
TEMPORAL_ADDR=127.0.0.1:7233
TEMPORAL_UI=http://127.0.0.1:8233

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
work=${TMPDIR:-/tmp}/firebreak-pool-demo

say() { printf '\033[1mrun.sh:\033[0m %s\n' "$*"; }
die() { printf 'run.sh: %s\n' "$*" >&2; exit 1; }

# --- what must be installed ------------------------------------------------
pg_bin=
for d in /usr/lib/postgresql/15/bin /usr/lib/postgresql/*/bin; do
	if [ -x "$d/initdb" ]; then pg_bin=$d; break; fi
done
missing=()
[ -n "$pg_bin" ] || missing+=("PostgreSQL server (initdb, pg_ctl)")
for b in pgbouncer psql curl go; do
	command -v "$b" >/dev/null || [ -x "/usr/sbin/$b" ] || missing+=("$b")
done
if [ "$mode" != measure ]; then
	for b in prometheus prometheus-alertmanager; do
		command -v "$b" >/dev/null || missing+=("$b")
	done
fi
if [ "${#missing[@]}" -gt 0 ]; then
	die "missing: ${missing[*]}. Install them with: sudo $repo/scripts/install-deps.sh"
fi
pgbouncer_bin=$(command -v pgbouncer || echo /usr/sbin/pgbouncer)

# PostgreSQL and PgBouncer refuse to run as root: as root, run them as the
# postgres account. setpriv execs in place, so the PID we record is the
# server's own and signals reach it directly.
as_pg=()
if [ "$(id -u)" -eq 0 ]; then
	id postgres >/dev/null 2>&1 || die "running as root needs a postgres account (the postgresql package creates it)"
	as_pg=(setpriv --reuid=postgres --regid=postgres --init-groups --)
fi

# --- ports must be free ----------------------------------------------------
port_busy() { (exec 3<>"/dev/tcp/${1%:*}/${1##*:}") 2>/dev/null; }
ports=("127.0.0.1:$PG_PORT" "127.0.0.1:$BOUNCER_PORT" "$DEMO_ADDR")
if [ "$mode" != measure ]; then ports+=("$PROM_ADDR" "$AM_ADDR"); fi
if [ "$mode" = scenario ]; then ports+=("$FIREBREAK_ADDR" "$TEMPORAL_ADDR" "${TEMPORAL_UI#http://}"); fi
for p in "${ports[@]}"; do
	if port_busy "$p"; then die "$p is in use (another run.sh, or another server); stop it first"; fi
done

# --- state directory and cleanup -------------------------------------------
case "$work" in */firebreak-pool-demo) ;; *) die "refusing state directory $work" ;; esac
rm -rf "$work"
mkdir -p "$work"/{bin,pg,pgbouncer,prometheus,alertmanager,firebreak}
chmod 755 "$work"
if [ "${#as_pg[@]}" -gt 0 ]; then
	chown postgres: "$work/pg" "$work/pgbouncer"
	"${as_pg[@]}" test -x "$work" || die "the postgres account cannot reach $work; set TMPDIR to a world-readable directory"
fi

pids=()     # background servers, stopped in reverse order
pg_started=0
cleanup() {
	local rc=$?
	# Ignore further INT/TERM (a second Ctrl-C, or a signal sent to the whole
	# process group) so that cleanup itself is never cut short.
	trap "" INT TERM
	trap - EXIT
	say "stopping everything"
	local i pid
	for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
		pid=${pids[i]}
		kill -TERM "$pid" 2>/dev/null || continue
		for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	if [ "$pg_started" -eq 1 ]; then
		"${as_pg[@]}" "$pg_bin/pg_ctl" -D "$work/pg/data" -m fast -w stop >/dev/null 2>&1 || true
	fi
	say "stopped; logs are in $work"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# start NAME CMD... runs CMD in the background with its output in NAME.log.
start() {
	local name=$1; shift
	"$@" >"$work/$name.log" 2>&1 &
	pids+=($!)
}

# wait_for WHAT SECONDS CMD... polls CMD until it succeeds or SECONDS pass.
wait_for() {
	local what=$1 secs=$2; shift 2
	local deadline=$((SECONDS + secs))
	until "$@" >/dev/null 2>&1; do
		[ "$SECONDS" -lt "$deadline" ] || die "timed out after ${secs}s waiting for $what (logs in $work)"
		sleep 0.2
	done
}

secret() { head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n'; }

# --- PostgreSQL ------------------------------------------------------------
say "starting PostgreSQL on 127.0.0.1:$PG_PORT"
pg_super_pw=$(secret)
app_pw=$(secret)
admin_pw=$(secret)
printf '%s\n' "$pg_super_pw" >"$work/pg/pwfile"
[ "${#as_pg[@]}" -eq 0 ] || chown postgres: "$work/pg/pwfile"
"${as_pg[@]}" "$pg_bin/initdb" -D "$work/pg/data" -U postgres --pwfile="$work/pg/pwfile" \
	--auth-host=scram-sha-256 --auth-local=trust -E UTF8 --locale=C --no-sync >"$work/initdb.log" 2>&1 ||
	die "initdb failed: see $work/initdb.log"
rm -f "$work/pg/pwfile"
"${as_pg[@]}" "$pg_bin/pg_ctl" -D "$work/pg/data" -l "$work/pg/postgres.log" -w -t 30 \
	-o "-c listen_addresses=127.0.0.1 -p $PG_PORT -c unix_socket_directories=$work/pg -c fsync=off -c synchronous_commit=off -c max_connections=100" \
	start >/dev/null || die "PostgreSQL did not start: see $work/pg/postgres.log"
pg_started=1
"${as_pg[@]}" psql -X -q -v ON_ERROR_STOP=1 -h "$work/pg" -p "$PG_PORT" -U postgres -d postgres \
	-c "CREATE ROLE demo LOGIN PASSWORD '$app_pw'" -c "CREATE DATABASE demo OWNER demo" >/dev/null

# --- PgBouncer -------------------------------------------------------------
say "starting PgBouncer on 127.0.0.1:$BOUNCER_PORT (transaction pooling, default_pool_size=2)"
printf '"demo" "%s"\n"fbadmin" "%s"\n' "$app_pw" "$admin_pw" >"$work/pgbouncer/userlist.txt"
# The database has no pool_size of its own, so default_pool_size (which the
# admin console can change at run time) is what limits it.
cat >"$work/pgbouncer/pgbouncer.ini" <<EOF
[databases]
demo = host=127.0.0.1 port=$PG_PORT dbname=demo user=demo password=$app_pw

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $BOUNCER_PORT
unix_socket_dir =
auth_type = scram-sha-256
auth_file = $work/pgbouncer/userlist.txt
admin_users = fbadmin
pool_mode = transaction
default_pool_size = 2
max_client_conn = 200
ignore_startup_parameters = extra_float_digits
EOF
chmod 600 "$work/pgbouncer/userlist.txt" "$work/pgbouncer/pgbouncer.ini"
[ "${#as_pg[@]}" -eq 0 ] || chown postgres: "$work/pgbouncer/userlist.txt" "$work/pgbouncer/pgbouncer.ini"
start pgbouncer "${as_pg[@]}" "$pgbouncer_bin" "$work/pgbouncer/pgbouncer.ini"
admin_dsn="postgres://fbadmin:$admin_pw@127.0.0.1:$BOUNCER_PORT/pgbouncer?sslmode=disable&default_query_exec_mode=simple_protocol"
app_dsn="postgres://demo:$app_pw@127.0.0.1:$BOUNCER_PORT/demo?sslmode=disable"
# psql does not know pgx's default_query_exec_mode; give it the plain URL.
admin_dsn_psql="postgres://fbadmin:$admin_pw@127.0.0.1:$BOUNCER_PORT/pgbouncer?sslmode=disable"
admin() { psql -X -q -t -A "$admin_dsn_psql" -c "$1"; }
wait_for "PgBouncer's admin console" 15 admin "SHOW VERSION"
# The runbook's secret("pgbouncer_admin"), for firebreak (see firebreak.hcl).
mkdir -p "$work/secrets" && chmod 700 "$work/secrets"
printf '%s\n' "$admin_dsn" >"$work/secrets/pgbouncer_admin"
chmod 600 "$work/secrets/pgbouncer_admin"

# --- the demo payment API ----------------------------------------------------
say "building the demo"
(cd "$repo" && go build -o "$work/bin/demo" ./examples/pool-exhaustion/cmd/demo)
say "starting the demo payment API on $DEMO_ADDR"
DEMO_DSN=$app_dsn start demo "$work/bin/demo" serve --listen "$DEMO_ADDR"
wait_for "the demo" 15 curl -fsS "http://$DEMO_ADDR/healthz"
wait_for "a first successful payment" 15 curl -fsS "http://$DEMO_ADDR/pay"

# --measure: error ratio per pool size, no monitoring needed.
if [ "$mode" = measure ]; then
	if [ "$load_duration" = 10m ]; then load_duration=10s; fi
	say "measuring: $concurrency workers, $load_duration per pool size (sizes only grow: PgBouncer does not close surplus server connections at once)"
	for size in 2 4 6 8 10 12 16 20; do
		admin "SET default_pool_size = $size" >/dev/null
		printf 'default_pool_size=%-3s ' "$size"
		"$work/bin/demo" load --url "http://$DEMO_ADDR/pay" --concurrency "$concurrency" --duration "$load_duration" | tail -n 1
	done
	exit 0
fi

# --- Prometheus and Alertmanager -------------------------------------------
say "starting Prometheus on $PROM_ADDR and Alertmanager on $AM_ADDR"
start prometheus prometheus --config.file="$here/prometheus/prometheus.yml" \
	--storage.tsdb.path="$work/prometheus" --web.listen-address="$PROM_ADDR" \
	--web.enable-lifecycle --web.external-url="http://$PROM_ADDR"
# An empty --cluster.listen-address keeps Alertmanager from also listening on
# 0.0.0.0:9094 for gossip with peers it will never have.
start alertmanager prometheus-alertmanager --config.file="$here/prometheus/alertmanager.yml" \
	--storage.path="$work/alertmanager" --web.listen-address="$AM_ADDR" \
	--cluster.listen-address= --web.external-url="http://$AM_ADDR"
wait_for Prometheus 30 curl -fsS "http://$PROM_ADDR/-/ready"
wait_for Alertmanager 30 curl -fsS "http://$AM_ADDR/-/ready"

# prom_value QUERY prints the first value of an instant query ("" if none).
prom_value() {
	curl -fsS -G "http://$PROM_ADDR/api/v1/query" --data-urlencode "query=$1" |
		sed -n 's/.*"value":\[[^,]*,"\([^"]*\)"\].*/\1/p'
}
error_ratio='sum(rate(demo_requests_total{service="demo",code!="200"}[10s])) / sum(rate(demo_requests_total{service="demo"}[10s]))'
# The rule file has one rule, so any firing alert is DemoHighErrorRate.
alerts() { curl -fsS "http://$PROM_ADDR/api/v1/alerts"; }
alert_firing() { local a; a=$(alerts) && grep -q DemoHighErrorRate <<<"$a" && grep -q '"state":"firing"' <<<"$a"; }
alert_gone() { local a; a=$(alerts) && ! grep -q DemoHighErrorRate <<<"$a"; }
am_has_alert() { curl -fsS -G "http://$AM_ADDR/api/v2/alerts" --data-urlencode 'filter=alertname="DemoHighErrorRate"' | grep -q DemoHighErrorRate; }
ratio_below() { awk -v v="$(prom_value "$error_ratio")" -v t="$1" 'BEGIN { exit !(v != "" && v != "NaN" && v + 0 < t) }'; }
ratio_above() { awk -v v="$(prom_value "$error_ratio")" -v t="$1" 'BEGIN { exit !(v != "" && v != "NaN" && v + 0 > t) }'; }

# --no-firebreak: check the chain up to Alertmanager, then play firebreak's
# part by hand (the runbook's +500%: 2 -> 12) and check that it cures it.
if [ "$mode" = check ]; then
	say "check: load for at most 90s, expecting DemoHighErrorRate to fire"
	start load "$work/bin/demo" load --url "http://$DEMO_ADDR/pay" --concurrency "$concurrency" --duration 90s
	wait_for "the error ratio to exceed 0.5" 30 ratio_above 0.5
	say "check: error ratio $(prom_value "$error_ratio") with default_pool_size=2"
	wait_for "DemoHighErrorRate to fire in Prometheus" 20 alert_firing
	wait_for "DemoHighErrorRate to reach Alertmanager" 15 am_has_alert
	say "check: DemoHighErrorRate is firing and in Alertmanager"
	admin "SET default_pool_size = 12" >/dev/null
	say "check: SET default_pool_size = 12 (what the runbook's +500% does)"
	wait_for "the error ratio to fall below 0.05" 45 ratio_below 0.05
	say "check: error ratio $(prom_value "$error_ratio") with default_pool_size=12"
	wait_for "DemoHighErrorRate to resolve" 45 alert_gone
	say "check: DemoHighErrorRate resolved. Everything but firebreak works."
	exit 0
fi

# --- firebreak -----------------------------------------------------------------
# Built, then run from the binary (rather than `go run`), so that the PID we
# stop is firebreak's own and not the go tool's. A cold build of the embedded
# Temporal server takes several minutes; later builds take seconds.
say "building firebreak (the first build takes a few minutes)"
(cd "$repo" && go build -o "$work/bin/firebreak" ./cmd/firebreak)
say "starting firebreak dev on $FIREBREAK_ADDR"
runbook_dir=examples/pool-exhaustion/runbooks
config=examples/pool-exhaustion/firebreak.hcl
if [ "$approval" -eq 1 ]; then
	# The approval variant, and an operator token for `firebreak approve`.
	runbook_dir=examples/pool-exhaustion/runbooks-approval
	operator_token=$(secret)
	printf '%s\n' "$operator_token" >"$work/operator-token"
	chmod 600 "$work/operator-token"
	config="$work/firebreak.hcl"
	{ cat "$repo/examples/pool-exhaustion/firebreak.hcl"; printf '\noperator "demo" {\n  token_file = "%s"\n}\n' "$work/operator-token"; } >"$config"
fi
(
	cd "$repo"
	export FIREBREAK_SECRET_PGBOUNCER_ADMIN="$admin_dsn"
	exec "$work/bin/firebreak" dev --runbooks "$runbook_dir" \
		--config "$config" --state "$work/firebreak/state"
) >"$work/firebreak.log" 2>&1 &
pids+=($!)
firebreak_pid=$!
wait_for "firebreak to be ready" 120 curl -fsS "http://$FIREBREAK_ADDR/readyz"

say "starting the load: $concurrency workers for $load_duration"
start load "$work/bin/demo" load --url "http://$DEMO_ADDR/pay" --concurrency "$concurrency" --duration "$load_duration"

# A command substitution drops trailing newlines, so the blank line after
# the approval note is added outside it.
approval_note=""
if [ "$approval" -eq 1 ]; then
	approval_note="$(printf '  This run needs your approval before the pool grows. Approve with:\n    (cd %s && FIREBREAK_OPERATOR_TOKEN=$(cat %s) %s approve "$(%s incidents list | awk '"'"'NR==2{print $1}'"'"')")' "$repo" "$work/operator-token" "$work/bin/firebreak" "$work/bin/firebreak")"$'\n\n'
fi
cat <<EOF

  The payment API is now failing: PgBouncer has 2 server connections for
  about 8 connections' worth of load. Within seconds Prometheus fires
  DemoHighErrorRate, Alertmanager posts it to firebreak, and the runbook
  grows the pool (2 -> 12) and verifies that the errors stopped.

${approval_note}  Watch:
    firebreak incidents        (cd $repo && $work/bin/firebreak incidents list)
    Temporal Web UI            $TEMPORAL_UI
    PgBouncer's pool size      psql '$admin_dsn_psql' -c 'SHOW CONFIG' | grep default_pool_size
    PgBouncer's pools          psql '$admin_dsn_psql' -c 'SHOW POOLS'
    error ratio (Prometheus)   http://$PROM_ADDR/graph  with the query
                               $error_ratio
    alerts                     http://$PROM_ADDR/alerts   http://$AM_ADDR
    logs                       $work/*.log

  Ctrl-C stops everything.
EOF

# Keep running as long as firebreak does; Ctrl-C ends the script and the trap
# stops every server.
wait "$firebreak_pid" || die "firebreak exited: see $work/firebreak.log"
