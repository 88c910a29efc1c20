# Yendor: `make deps` installs system packages, `make test` runs the test suite.
SHELL := /bin/bash
APT_PACKAGES := libzmq3-dev libopenblas-dev libsqlite3-dev pkg-config iproute2 python3 python3-pip python3-venv gdb
export SWIFT_BACKTRACE := enable=no

.PHONY: deps build test train fuzz bench clean

deps:
	@bash scripts/install-deps.sh $(APT_PACKAGES)

build: deps
	swift build -c release --product yendor

test: deps
	@# a hang fails within 40 minutes, with every thread's stack, rather than at CI's timeout
	bash scripts/with-deadline.sh 2400 swift test
	@# python/ (yendor-env): its pytest suite in the project venv; pytest's exit code 5 ("no tests ran") is not a failure
	@if [ -x .venv/bin/python ] && .venv/bin/python -c 'import pytest' 2>/dev/null; then \
	  .venv/bin/python -m pytest -q python/tests; rc=$$?; [ $$rc -eq 0 ] || [ $$rc -eq 5 ]; \
	else \
	  echo "yendor: WARNING: .venv has no pytest (see make deps): the python/ tests did not run" >&2; \
	fi

train: build
	.build/release/yendor train

fuzz:
	bash scripts/fuzz-wire.sh

clean:
	rm -rf .build
