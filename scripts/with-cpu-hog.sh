#!/usr/bin/env bash
# Runs a command with two busy loops beside it (both cores loaded), as issue 14 asks the test suite
# to survive:  bash scripts/with-cpu-hog.sh make test
( while :; do :; done ) & h1=$!
( while :; do :; done ) & h2=$!
trap 'kill $h1 $h2 2>/dev/null' EXIT
"$@"
