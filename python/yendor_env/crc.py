"""CRC-32C (Castagnoli), the checksum of the wire envelope: the `crc32c` C extension, and a pure-Python
fallback that also serves tests and byte vectors."""
from __future__ import annotations

import warnings
from typing import List, Optional

__all__ = ["crc32c", "crc32c_python"]

_TABLE: Optional[List[int]] = None


def crc32c_python(data) -> int:
    """CRC-32C (Castagnoli, reflected 0x82F63B78, init and final xor 0xFFFFFFFF), in pure Python.
    Slow (~1 MB/s): for tests and byte vectors; `crc32c` uses the C extension."""
    global _TABLE
    if _TABLE is None:
        table = []
        for i in range(256):
            c = i
            for _ in range(8):
                c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
            table.append(c)
        _TABLE = table
    t = _TABLE
    crc = 0xFFFFFFFF
    for b in memoryview(data).cast("B"):
        crc = (crc >> 8) ^ t[(crc ^ b) & 0xFF]
    return crc ^ 0xFFFFFFFF


try:
    from crc32c import crc32c as _crc32c_c  # the `crc32c` PyPI package (C, SSE4.2 where available)
except ImportError:  # pragma: no cover - the package is a dependency
    _crc32c_c = None


def crc32c(data) -> int:
    """CRC-32C of `data` (any buffer), by the `crc32c` C extension."""
    if _crc32c_c is not None:
        return _crc32c_c(data)
    warnings.warn("yendor_env.wire: the crc32c package is missing; using the pure-Python CRC-32C "
                  "(about 1 MB/s): pip install crc32c", RuntimeWarning, stacklevel=2)
    return crc32c_python(data)
