"""Caption bytes: the step's text as UTF-8 cut to the spec's `caption_bytes` without splitting a
character, from NLE's `message` or a caption function's result."""
from __future__ import annotations

from typing import Any, Callable, Dict, Union

import numpy as np

__all__ = ["truncate_utf8", "nle_message", "encode_caption", "CaptionFunction"]


def truncate_utf8(b: bytes, capacity: int) -> bytes:
    """`b` cut to at most `capacity` bytes without splitting a UTF-8 character."""
    if len(b) <= capacity:
        return b
    cut = capacity
    while cut > 0 and (b[cut] & 0xC0) == 0x80:
        cut -= 1
    return b[:cut]


def _utf8_bytes(raw: bytes) -> bytes:
    """Raw bytes made valid UTF-8 (invalid sequences become U+FFFD)."""
    if raw.isascii():
        return raw
    return raw.decode("utf-8", "replace").encode("utf-8")


def nle_message(message) -> str:
    """NLE's `message` observation (uint8 [256], NUL-terminated) as text; bytes that are not UTF-8
    become U+FFFD."""
    raw = np.asarray(message, dtype=np.uint8).tobytes()
    end = raw.find(b"\0")
    if end >= 0:
        raw = raw[:end]
    return raw.decode("utf-8", "replace")


def _message_bytes(message, capacity: int) -> bytes:
    raw = message.tobytes() if isinstance(message, np.ndarray) else bytes(message)
    end = raw.find(b"\0")
    if end >= 0:
        raw = raw[:end]
    return truncate_utf8(_utf8_bytes(raw), capacity)


def encode_caption(text: Union[str, bytes, None], capacity: int) -> bytes:
    """A caption function's result as Yendor's caption bytes: UTF-8, cut at the first NUL, at most
    `capacity` bytes, never splitting a character."""
    if text is None:
        return b""
    if isinstance(text, str):
        b = text.encode("utf-8", "replace")
    else:
        b = _utf8_bytes(bytes(text))
    end = b.find(b"\0")
    if end >= 0:
        b = b[:end]
    return truncate_utf8(b, capacity)


CaptionFunction = Callable[[Any, Dict[str, Any]], Union[str, bytes, None]]
