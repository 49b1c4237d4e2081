"""Length-prefixed frames: how the web process and a sandbox worker talk over a pipe.

A frame is a 4-byte big-endian length followed by that many bytes of UTF-8 JSON.  Both sides refuse frames larger
than ``MAX_FRAME``, so a confused or hostile peer cannot make the other allocate without bound.  The worker reads
with blocking I/O (``read_frame``); the web process reads without blocking, under a deadline, and feeds what arrives
to a ``FrameBuffer``::

    buffer = FrameBuffer()
    buffer.feed(encode(b'{"ready": true}'))
    buffer.pop()   # -> b'{"ready": true}'
"""

from __future__ import annotations

import struct
from typing import BinaryIO

MAX_FRAME = 16 * 1024 * 1024
_LENGTH = struct.Struct(">I")


class FrameTooLarge(ValueError):
    """A frame announced or built beyond ``MAX_FRAME``: the peer is broken or hostile, the pipe is unusable."""


def encode(payload: bytes) -> bytes:
    """Return ``payload`` as one frame; raise ``FrameTooLarge`` beyond the limit."""
    if len(payload) > MAX_FRAME:
        raise FrameTooLarge(f"Frame too large: {len(payload)} bytes (limit {MAX_FRAME}).")
    return _LENGTH.pack(len(payload)) + payload


def read_frame(stream: BinaryIO) -> bytes | None:
    """Read one frame from a blocking stream; ``None`` at a clean end of the stream (between frames)."""
    head = stream.read(_LENGTH.size)
    if not head:
        return None
    if len(head) < _LENGTH.size:
        raise EOFError("The stream ended inside a frame header.")
    (size,) = _LENGTH.unpack(head)
    if size > MAX_FRAME:
        raise FrameTooLarge(f"Frame too large: {size} bytes (limit {MAX_FRAME}).")
    payload = stream.read(size)
    if len(payload) < size:
        raise EOFError("The stream ended inside a frame.")
    return payload


def write_frame(stream: BinaryIO, payload: bytes) -> None:
    """Write one frame to a blocking stream and flush it."""
    stream.write(encode(payload))
    stream.flush()


class FrameBuffer:
    """Collects bytes as they arrive and hands out whole frames."""

    def __init__(self) -> None:
        self._data = bytearray()

    def feed(self, data: bytes) -> None:
        """Append bytes read from the pipe."""
        self._data += data

    def pop(self) -> bytes | None:
        """Return the next whole frame, or ``None`` until one has fully arrived."""
        if len(self._data) < _LENGTH.size:
            return None
        (size,) = _LENGTH.unpack_from(self._data)
        if size > MAX_FRAME:
            raise FrameTooLarge(f"Frame too large: {size} bytes (limit {MAX_FRAME}).")
        end = _LENGTH.size + size
        if len(self._data) < end:
            return None
        payload = bytes(self._data[_LENGTH.size : end])
        del self._data[:end]
        return payload
