# The README's two commands: `make dev` (firebreak dev with the example
# runbooks) and `make test` (the whole suite; installs what it needs).
.PHONY: test dev build bench

test:
	scripts/test.sh

dev:
	go run ./cmd/firebreak dev

build:
	go build -o bin/firebreak ./cmd/firebreak

bench:
	go run ./cmd/firebreak bench

# `make fuzz`: every fuzz target in turn, FUZZTIME each (default 60s), on one
# worker; prints each target's exec count. Not part of `make test`.
.PHONY: fuzz
FUZZTIME ?= 60s
fuzz:
	FUZZTIME=$(FUZZTIME) scripts/fuzz.sh
