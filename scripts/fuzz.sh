#!/usr/bin/env bash
# Runs every Go fuzz target in the module, one after the other, each for
# FUZZTIME (default 60s) on one worker (-parallel 1), and prints how many
# inputs each one executed. `make fuzz` calls it; `make test` does not.
#
#   scripts/fuzz.sh                 every target, FUZZTIME each
#   FUZZTIME=10m scripts/fuzz.sh    longer
#   FUZZMINIMIZETIME=60s            how long to minimize a new input (default 100x)
#   scripts/fuzz.sh Intake          only targets whose "package FuzzName" matches
#
# The corpus the fuzzer grows lives in GOCACHE (go env GOCACHE)/fuzz, not in
# the tree; a failing input is written to the package's testdata/fuzz/ by
# go test, and this script names it. Exit status: 1 if any target failed.
set -u
cd "$(dirname "$0")/.."

fuzztime=${FUZZTIME:-60s}
# Go minimizes every new interesting input for up to 60 s by default, and
# counts no execs meanwhile; on one worker that stalls a short run.
minimize=${FUZZMINIMIZETIME:-100x}
filter=${1:-}
logdir=${FUZZLOG:-$(mktemp -d "${TMPDIR:-/tmp}/firebreak-fuzz.XXXXXX")}
mkdir -p "$logdir"

# Every "func FuzzX(f *testing.F)" in a _test.go file, as "dir FuzzX".
mapfile -t targets < <(grep -rE --include='*_test.go' '^func Fuzz[A-Za-z0-9_]*\(f \*testing\.F\)' . |
	sed -E 's#^\./(.*)/[^/]+_test\.go:func (Fuzz[A-Za-z0-9_]*)\(.*#\1 \2#' | sort -u)

failed=0
total=0
summary=()
for t in "${targets[@]}"; do
	dir=${t% *}
	name=${t#* }
	if [ -n "$filter" ] && ! [[ "$dir $name" =~ $filter ]]; then
		continue
	fi
	log="$logdir/$(echo "$dir" | tr / _)_$name.log"
	echo "== ./$dir $name ($fuzztime)"
	start=$(date +%s)
	go test -run '^$' -fuzz "^${name}\$" -fuzztime "$fuzztime" -fuzzminimizetime "$minimize" -parallel 1 "./$dir" >"$log" 2>&1
	rc=$?
	secs=$(($(date +%s) - start))
	# The last "execs: N" line is the target's total.
	execs=$(grep -oE 'execs: [0-9]+' "$log" | tail -1 | grep -oE '[0-9]+')
	execs=${execs:-0}
	total=$((total + execs))
	rate=$((execs / (secs > 0 ? secs : 1)))
	status=ok
	if [ "$rc" -ne 0 ]; then
		status=FAILED
		failed=1
		grep -E -- '--- FAIL|Failing input written to|panic:|fuzz_test.go:[0-9]+:' "$log" | head -20
	fi
	line=$(printf '%-24s %-26s %12d execs %8d/s %5ds  %s' "$dir" "$name" "$execs" "$rate" "$secs" "$status")
	echo "$line"
	summary+=("$line")
done

echo
echo "== summary (FUZZTIME=$fuzztime, -parallel 1, logs in $logdir)"
printf '%s\n' "${summary[@]}"
printf '%-51s %12d execs\n' "total" "$total"
exit "$failed"
