"""CRC-32C for the live fuzzer: the `crc32c` package (hardware SSE4.2 / ARMv8 where available), else
`google-crc32c`, else the pure-Python one of python/yendor_env/crc.py, which limits the frame rate.
Every mutated payload is resealed with it, and the reference client (scripts/yendor_wire.py, beside
this package on sys.path) is given the same function to check the CRCs of captured frames."""
import time

import yendor_wire as yw  # the reference client: decode of captured frames, Stats, Hello

CRC_IMPL = "pure-Python fallback of python/yendor_env/crc.py (slow: pip install crc32c)"
try:
    import crc32c as _crc32c_pkg

    def crc32c(data):
        return _crc32c_pkg.crc32c(data)

    CRC_IMPL = "crc32c package (%s)" % ("hardware" if getattr(_crc32c_pkg, "hardware_based", False) else "software")
except ImportError:  # pragma: no cover - depends on the environment
    try:
        import google_crc32c as _gcrc

        def crc32c(data):
            return _gcrc.value(bytes(data))

        CRC_IMPL = "google-crc32c package"
    except ImportError:
        crc32c = yw._CRC.crc32c_python

yw.crc32c = crc32c  # the reference decoder checks CRCs of captured frames with the fast one too
assert crc32c(b"123456789") == 0xE3069283, "CRC-32C check value"


def crc_throughput():
    data = bytes(1 << 20)
    t0, n = time.perf_counter(), 0
    while time.perf_counter() - t0 < 0.2:
        crc32c(data)
        n += 1
    return n / (time.perf_counter() - t0)  # MiB/s
