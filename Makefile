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
