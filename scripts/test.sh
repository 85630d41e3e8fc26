#!/usr/bin/env bash
# test.sh is firebreak's whole test suite, and what CI runs (.ci/run calls
# it). On a fresh machine it installs everything the tests need: Debian
# packages (scripts/install-deps.sh), Go tools and the Kubernetes test
# binaries (scripts/build-kube.sh) built from the module proxy, cached by
# version under ~/.cache/firebreak/bin so the second run is fast. Then:
# gofmt, go vet, staticcheck, workflowcheck, go test.
set -euo pipefail
cd "$(dirname "$0")/.."

STATICCHECK_VERSION=v0.8.2
WORKFLOWCHECK_VERSION=v0.6.0
CACHE="${HOME}/.cache/firebreak"
BIN="$CACHE/bin"
mkdir -p "$BIN"
export GOTOOLCHAIN=local

step() { printf '\n== %s (%ss)\n' "$*" "$SECONDS"; }

step "install Debian packages"
scripts/install-deps.sh

# tool NAME VERSION PACKAGE: build a Go tool once per version.
tool() {
	local name=$1 version=$2 pkg=$3
	local target="$BIN/$name-$version"
	if [ ! -x "$target" ]; then
		step "build $name $version" >&2
		local tmp
		tmp=$(mktemp -d)
		GOBIN="$tmp" go install "$pkg@$version"
		mv "$tmp/$name" "$target"
		rm -rf "$tmp"
	fi
	printf '%s' "$target"
}
STATICCHECK=$(tool staticcheck "$STATICCHECK_VERSION" honnef.co/go/tools/cmd/staticcheck)
WORKFLOWCHECK=$(tool workflowcheck "$WORKFLOWCHECK_VERSION" go.temporal.io/sdk/contrib/tools/workflowcheck)

# etcd, the Kubernetes control plane and kwok for the Kubernetes tests:
# built from the module proxy once per version (about 20 minutes cold on two
# cores), then found in ~/.cache/firebreak/bin in well under a second.
step "Kubernetes test binaries"
scripts/build-kube.sh

step "gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './.git/*'))
if [ -n "$unformatted" ]; then
	echo "gofmt would change:"; echo "$unformatted"; exit 1
fi

step "go build"
go build ./...

step "go vet"
go vet ./...

step "staticcheck"
"$STATICCHECK" ./...

step "workflowcheck"
"$WORKFLOWCHECK" -config workflows/workflowcheck.config.yaml ./workflows/...

# The end-to-end tests drive real servers under load with timing-sensitive
# assertions; they run alone, after the rest, so that no other test binary
# competes with them for the machine's two cores.
step "go test (all but internal/e2e)"
go test -count=1 -timeout 30m "$@" $(go list ./... | grep -v '/internal/e2e$')

step "go test (internal/e2e)"
go test -count=1 -timeout 30m "$@" ./internal/e2e/

step "done"
