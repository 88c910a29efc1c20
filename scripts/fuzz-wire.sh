#!/usr/bin/env bash
# Builds the wire-decoder fuzzer with libFuzzer + AddressSanitizer and runs it.
#   scripts/fuzz-wire.sh            # 60 seconds
#   scripts/fuzz-wire.sh -runs=1000000
# Seeds come from valid messages written by `yendor _peer` is not needed: the fuzzer starts from the
# corpus in .build-fuzz/corpus (created with a few hand-made envelopes) and grows it.
set -euo pipefail
cd "$(dirname "$0")/.."
out=.build-fuzz
mkdir -p "$out/corpus" "$out/module"
export SWIFT_BACKTRACE=enable=no

cat > "$out/module/module.modulemap" <<MAP
module CCRC32C {
    header "$PWD/Sources/CCRC32C/include/crc32c.h"
    export *
}
MAP
clang -O1 -g -fsanitize=fuzzer-no-link,address -I Sources/CCRC32C/include -c Sources/CCRC32C/crc32c.c -o "$out/crc32c.o"
swiftc -O -g -parse-as-library -sanitize=fuzzer,address -module-name YendorWire \
    -I "$out/module" Sources/YendorWire/*.swift scripts/fuzz/WireFuzzer.swift "$out/crc32c.o" \
    -o "$out/wire-fuzzer" 2> >(grep -v "Cannot export local symbol" >&2)

# Seed corpus: a valid Goodbye and PolicyUpdate (from docs/wire-protocol.md).
printf '\x59\x4e\x44\x52\x01\x00\x04\x00\x00\x00\x00\x00\x7c\xd3\x98\x20\x0d\x00\x00\x00\x00\x00\x00\x00\x02\x00\x00\x00\x77\x31\x03\x00\x00\x00\x62\x79\x65' > "$out/corpus/goodbye"
printf '\x59\x4e\x44\x52\x01\x00\x11\x00\x00\x00\x00\x00\xb8\x4f\x18\x51\x28\x00\x00\x00\x00\x00\x00\x00\x07\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x6d\x01\x00\x00\x00\x01\x00\x00\x00\x62\x04\x01\x00\x00\x02\x00\x00\x00\x00\x00\x00\x00\x80\x3f\x00\x00\x00\xc0' > "$out/corpus/policy"

args=("$@")
[ ${#args[@]} -eq 0 ] && args=(-max_total_time=60)
"$out/wire-fuzzer" "$out/corpus" -max_len=4096 "${args[@]}"
