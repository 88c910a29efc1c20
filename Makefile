# Yendor: `make deps` installs system packages, `make test` runs the test suite.
SHELL := /bin/bash
APT_PACKAGES := libzmq3-dev libopenblas-dev libsqlite3-dev pkg-config iproute2 python3 python3-pip python3-venv
export SWIFT_BACKTRACE := enable=no

.PHONY: deps build test train fuzz bench clean

deps:
	@bash scripts/install-deps.sh $(APT_PACKAGES)

build: deps
	swift build -c release --product yendor

test: deps
	swift test

train: build
	.build/release/yendor train

fuzz:
	bash scripts/fuzz-wire.sh

clean:
	rm -rf .build
