#!/usr/bin/env bash
# run.sh brings up firebreak's bad-deploy scenario on this machine, all on
# 127.0.0.1, with its state in ${TMPDIR:-/tmp}/firebreak-bad-deploy:
#
#   a Kubernetes control plane (etcd, kube-apiserver, controller-manager,
#     scheduler, kwok; no kubelets, no containers) with Deployment
#     shop/checkout, 3 replicas of registry.example/shop/checkout:1.4.2
#   the simulated checkout service 127.0.0.1:18180: reads the Deployment,
#     fails 40% of the requests its pods running a bad image serve
#   Prometheus 127.0.0.1:19190 scrapes it, fires ServiceHighErrorRate
#     -> Alertmanager 127.0.0.1:19193 -> firebreak dev 127.0.0.1:9095
#     -> runbook bad-deploy rolls the Deployment back.
#
# Then it rolls out the bad image 1.5.0 and follows the incident.
#
# Usage (from anywhere; it works in the repository root):
#   examples/bad-deploy/run.sh                 the whole scenario; stays up until Ctrl-C
#   examples/bad-deploy/run.sh --once          the same, then exit: 0 if the incident
#       resolved, 1 otherwise
#   examples/bad-deploy/run.sh --no-firebreak  everything but firebreak, a self-check
#       (the alert fires; a manual rollback clears it), then exit
#
# It installs nothing. The Kubernetes binaries come from scripts/build-kube.sh
# (into ~/.cache/firebreak/bin), Prometheus and Alertmanager from
# scripts/install-deps.sh. Every process it starts is stopped when it exits,
# however it exits; logs stay in the state directory until the next run.
set -euo pipefail

mode=scenario
while [ $# -gt 0 ]; do
	case "$1" in
	--no-firebreak) mode=check ;;
	--once) mode=once ;;
	-h | --help) awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; exit 0 ;;
	*) echo "run.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
	esac
	shift
done

# Fixed ports: prometheus.yml, alertmanager.yml and firebreak.hcl name them.
APP_ADDR=127.0.0.1:18180
PROM_ADDR=127.0.0.1:19190
AM_ADDR=127.0.0.1:19193
FIREBREAK_ADDR=127.0.0.1:9095
TEMPORAL_ADDR=127.0.0.1:7233
TEMPORAL_UI=http://127.0.0.1:8233

NAMESPACE=shop
DEPLOYMENT=checkout
GOOD_IMAGE=registry.example/shop/checkout:1.4.2
BAD_IMAGE=registry.example/shop/checkout:1.5.0

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
work=${TMPDIR:-/tmp}/firebreak-bad-deploy

say() { printf '\033[1mrun.sh:\033[0m %s\n' "$*"; }
die() { printf 'run.sh: %s\n' "$*" >&2; exit 1; }

# --- what must be installed ------------------------------------------------
missing=()
for b in go curl prometheus prometheus-alertmanager; do
	command -v "$b" >/dev/null || missing+=("$b")
done
if [ "${#missing[@]}" -gt 0 ]; then
	die "missing: ${missing[*]}. Install them with: sudo $repo/scripts/install-deps.sh"
fi
# The versions internal/testutil/kube.go runs (and scripts/build-kube.sh builds).
kube_bins=()
for v in EtcdVersion KubeVersion KwokVersion; do
	eval "$v=$(sed -n "s/^[[:space:]]*$v[[:space:]]*= \"\(.*\)\"/\1/p" "$repo/internal/testutil/kube.go")"
done
for b in "etcd-$EtcdVersion" "kube-apiserver-$KubeVersion" "kube-controller-manager-$KubeVersion" \
	"kube-scheduler-$KubeVersion" "kwok-$KwokVersion"; do
	[ -x "$HOME/.cache/firebreak/bin/$b" ] || kube_bins+=("$b")
done
if [ "${#kube_bins[@]}" -gt 0 ]; then
	die "missing in ~/.cache/firebreak/bin: ${kube_bins[*]}. Build them once with: $repo/scripts/build-kube.sh (15-20 minutes)"
fi

# --- ports must be free ----------------------------------------------------
port_busy() { (exec 3<>"/dev/tcp/${1%:*}/${1##*:}") 2>/dev/null; }
ports=("$APP_ADDR" "$PROM_ADDR" "$AM_ADDR")
if [ "$mode" != check ]; then ports+=("$FIREBREAK_ADDR" "$TEMPORAL_ADDR" "${TEMPORAL_UI#http://}"); fi
for p in "${ports[@]}"; do
	if port_busy "$p"; then die "$p is in use (another run.sh, or another server); stop it first"; fi
done

# --- state directory and cleanup -------------------------------------------
case "$work" in */firebreak-bad-deploy) ;; *) die "refusing state directory $work" ;; esac
rm -rf "$work"
mkdir -p "$work"/{bin,prometheus,alertmanager,firebreak}

pids=() # background servers, stopped in reverse order
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
		# The cluster stops five servers in turn; give it the longest.
		for _ in $(seq 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	say "stopped; logs are in $work"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# start NAME CMD... runs CMD in the background with its output in NAME.log.
start() {
	local name=$1
	shift
	"$@" >"$work/$name.log" 2>&1 &
	pids+=($!)
}

# wait_for WHAT SECONDS CMD... polls CMD until it succeeds or SECONDS pass.
wait_for() {
	local what=$1 secs=$2
	shift 2
	local deadline=$((SECONDS + secs))
	until "$@" >/dev/null 2>&1; do
		[ "$SECONDS" -lt "$deadline" ] || die "timed out after ${secs}s waiting for $what (logs in $work)"
		sleep 0.2
	done
}

# --- build -------------------------------------------------------------------
# Built, then run from the binaries (rather than `go run`), so that the PIDs
# we stop are the programs' own and not the go tool's. A cold build of
# firebreak's embedded Temporal server takes several minutes.
say "building the cluster helper, the simulated service and firebreak (the first build takes a few minutes)"
(
	cd "$repo"
	go build -o "$work/bin/cluster" ./examples/bad-deploy/cluster
	go build -o "$work/bin/app" ./examples/bad-deploy/app
	if [ "$mode" != check ]; then go build -o "$work/bin/firebreak" ./cmd/firebreak; fi
)
kubeconfig=$work/kubeconfig
cluster() { "$work/bin/cluster" "$@" --kubeconfig "$kubeconfig" --namespace "$NAMESPACE" --deployment "$DEPLOYMENT"; }

# --- Kubernetes ----------------------------------------------------------------
say "starting a Kubernetes control plane with kwok; Deployment $NAMESPACE/$DEPLOYMENT at $GOOD_IMAGE"
start cluster "$work/bin/cluster" up --dir "$work" --namespace "$NAMESPACE" --deployment "$DEPLOYMENT" \
	--image "$GOOD_IMAGE" --replicas 3
cluster_pid=${pids[-1]}
# About 10 s on a 2-core machine; the program exits if a server fails.
deadline=$((SECONDS + 180))
until [ -s "$work/ready" ]; do
	kill -0 "$cluster_pid" 2>/dev/null || die "the cluster failed to start: see $work/cluster.log"
	[ "$SECONDS" -lt "$deadline" ] || die "timed out after 180s waiting for the cluster (see $work/cluster.log)"
	sleep 0.2
done
say "$(grep '^cluster: API server' "$work/cluster.log" || true)"

# --- the simulated service -------------------------------------------------
say "starting the simulated checkout service on $APP_ADDR (bad image: $BAD_IMAGE)"
start app "$work/bin/app" --kubeconfig "$kubeconfig" --namespace "$NAMESPACE" --deployment "$DEPLOYMENT" \
	--bad-images "$BAD_IMAGE" --listen "$APP_ADDR"
wait_for "the simulated service" 15 curl -fsS "http://$APP_ADDR/healthz"

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
sel="namespace=\"$NAMESPACE\",service=\"$DEPLOYMENT\""
error_ratio="sum(rate(http_requests_total{$sel,code=~\"5..\"}[10s])) / sum(rate(http_requests_total{$sel}[10s]))"
alert_firing() { local a; a=$(curl -fsS "http://$PROM_ADDR/api/v1/alerts") && grep -q ServiceHighErrorRate <<<"$a" && grep -q '"state":"firing"' <<<"$a"; }
alert_gone() { local a; a=$(curl -fsS "http://$PROM_ADDR/api/v1/alerts") && ! grep -q ServiceHighErrorRate <<<"$a"; }
am_has_alert() { curl -fsS -G "http://$AM_ADDR/api/v2/alerts" --data-urlencode 'filter=alertname="ServiceHighErrorRate"' | grep -q ServiceHighErrorRate; }
ratio_below() { awk -v v="$(prom_value "$error_ratio")" -v t="$1" 'BEGIN { exit !(v != "" && v != "NaN" && v + 0 < t) }'; }
ratio_above() { awk -v v="$(prom_value "$error_ratio")" -v t="$1" 'BEGIN { exit !(v != "" && v != "NaN" && v + 0 > t) }'; }
wait_for "a first error ratio in Prometheus (0 at the good image)" 30 ratio_below 0.01
say "error ratio $(prom_value "$error_ratio") at $GOOD_IMAGE"

# --no-firebreak: check the chain up to Alertmanager, then play firebreak's
# part by hand (a rollback to the good image) and check that it cures it.
if [ "$mode" = check ]; then
	say "check: rolling out $BAD_IMAGE"
	cluster deploy --image "$BAD_IMAGE" --wait 60s
	wait_for "the error ratio to exceed 0.3" 30 ratio_above 0.3
	say "check: error ratio $(prom_value "$error_ratio") at $BAD_IMAGE"
	wait_for "ServiceHighErrorRate to fire in Prometheus" 20 alert_firing
	wait_for "ServiceHighErrorRate to reach Alertmanager" 15 am_has_alert
	say "check: ServiceHighErrorRate is firing and in Alertmanager"
	cluster deploy --image "$GOOD_IMAGE" --wait 60s
	say "check: back at $GOOD_IMAGE by hand (what the runbook's rollback does)"
	wait_for "the error ratio to fall below 0.02" 45 ratio_below 0.02
	say "check: error ratio $(prom_value "$error_ratio") at $GOOD_IMAGE"
	wait_for "ServiceHighErrorRate to resolve" 45 alert_gone
	say "check: ServiceHighErrorRate resolved. Everything but firebreak works."
	cluster status
	exit 0
fi

# --- firebreak -----------------------------------------------------------------
# The example's firebreak.hcl plus this run's kubeconfig: firebreak checks a
# kubeconfig when it loads its configuration, so it cannot name one that
# exists only while run.sh runs.
config=$work/firebreak.hcl
{
	cat "$here/firebreak.hcl"
	printf '\n# Added by run.sh: the cluster it started.\nkubernetes {\n  kubeconfig = "%s"\n}\n' "$kubeconfig"
} >"$config"
say "starting firebreak dev on $FIREBREAK_ADDR"
(
	cd "$repo"
	exec "$work/bin/firebreak" dev --runbooks examples/bad-deploy/runbooks \
		--config "$config" --state "$work/firebreak/state"
) >"$work/firebreak.log" 2>&1 &
pids+=($!)
firebreak_pid=$!
wait_for "firebreak to be ready" 120 curl -fsS "http://$FIREBREAK_ADDR/readyz"
fb() { (cd "$repo" && "$work/bin/firebreak" "$@"); }

# --- the bad deploy ------------------------------------------------------------
say "rolling out $BAD_IMAGE to $NAMESPACE/$DEPLOYMENT (it fails 40% of requests)"
cluster deploy --image "$BAD_IMAGE" --wait 60s
wait_for "ServiceHighErrorRate to fire" 45 alert_firing
say "ServiceHighErrorRate is firing: error ratio $(prom_value "$error_ratio")"
incident_id() { fb incidents list --json 2>/dev/null | sed -n 's/.*"id": *"\([^"]*\)".*/\1/p' | head -n 1; }
has_incident() { [ -n "$(incident_id)" ]; }
wait_for "firebreak to open an incident" 30 has_incident
id=$(incident_id)
say "incident $id opened"
has_outcome() { fb incidents show "$id" 2>/dev/null | grep -q '^outcome'; }
wait_for "the incident's outcome" 180 has_outcome
outcome=$(fb incidents show "$id" | sed -n 's/^outcome *//p')
say "outcome: $outcome"
fb incidents show "$id" | sed -n '/^timeline:/,$p'
cluster status

if [ "$mode" = once ]; then
	case "$outcome" in
	resolved:*)
		wait_for "ServiceHighErrorRate to resolve" 60 alert_gone
		say "ServiceHighErrorRate resolved; error ratio $(prom_value "$error_ratio")"
		exit 0
		;;
	*) die "the incident did not resolve: $outcome" ;;
	esac
fi

cat <<EOF

  The bad rollout paged, and firebreak rolled $NAMESPACE/$DEPLOYMENT back.
  Everything stays up until Ctrl-C. Look around:

    the incident               (cd $repo && $work/bin/firebreak incidents show '$id')
    Temporal Web UI            $TEMPORAL_UI
    the Deployment's history   $work/bin/cluster status --kubeconfig $kubeconfig
    what the service sees      curl -s http://$APP_ADDR/status
    error ratio (Prometheus)   http://$PROM_ADDR/graph  with the query
                               $error_ratio
    alerts                     http://$PROM_ADDR/alerts   http://$AM_ADDR
    logs                       $work/*.log

  Roll the bad image out again to see the guardrails: within 30 minutes the
  cooldown (and max_actions = 1 per 2h) refuses a second rollback, and the
  incident escalates to people instead:
    $work/bin/cluster deploy --kubeconfig $kubeconfig --image $BAD_IMAGE

  Ctrl-C stops everything.
EOF

# Keep running as long as firebreak does; Ctrl-C ends the script and the trap
# stops every server.
wait "$firebreak_pid" || die "firebreak exited: see $work/firebreak.log"
