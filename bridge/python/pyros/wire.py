"""Frame codec of the pyros wire protocol, version 1 (PROTOCOL.md §2 and §5).

A frame is `body_len:u32be body`; the body is `header_len:u32be header attachment*`, the
header UTF-8 JSON, each attachment `len:u32be bytes`. `{"$bin": i}` in the header stands for
attachment `i`.
"""

import json
import struct

PROTOCOL = 1
DEFAULT_MAX_FRAME = 64 * 1024 * 1024
_U32 = struct.Struct(">I")


class FrameError(Exception):
    """A frame from the bridge that cannot be decoded."""


def _extract(value, attachments):
    """Replaces bytes-like values with `{"$bin": i}` references, appending to `attachments`."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        attachments.append(bytes(value))
        return {"$bin": len(attachments) - 1}
    if isinstance(value, dict):
        return {k: _extract(v, attachments) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_extract(v, attachments) for v in value]
    return value


def _resolve(value, attachments):
    """Replaces `{"$bin": i}` references with the attachment bytes."""
    if isinstance(value, dict):
        if len(value) == 1 and "$bin" in value:
            index = value["$bin"]
            if isinstance(index, int) and 0 <= index < len(attachments):
                return attachments[index]
            raise FrameError("bad attachment reference {!r}".format(value))
        return {k: _resolve(v, attachments) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve(v, attachments) for v in value]
    return value


def encode(header):
    """Encodes a header dict (bytes values become attachments) into one frame."""
    attachments = []
    header = _extract(header, attachments)
    text = json.dumps(header, separators=(",", ":"), allow_nan=False).encode("utf-8")
    parts = [_U32.pack(len(text)), text]
    for blob in attachments:
        parts.append(_U32.pack(len(blob)))
        parts.append(blob)
    body = b"".join(parts)
    return _U32.pack(len(body)) + body


def decode_body(body):
    """Decodes a frame body into its header dict, with attachments resolved to bytes."""
    if len(body) < 4:
        raise FrameError("body shorter than its header length")
    (header_len,) = _U32.unpack_from(body, 0)
    end = 4 + header_len
    if end > len(body):
        raise FrameError("header length past the end of the body")
    try:
        header = json.loads(body[4:end].decode("utf-8"))
    except ValueError as error:
        raise FrameError("header is not JSON: {}".format(error)) from None
    if not isinstance(header, dict):
        raise FrameError("header is not an object")
    attachments = []
    pos = end
    while pos < len(body):
        if pos + 4 > len(body):
            raise FrameError("truncated attachment length")
        (size,) = _U32.unpack_from(body, pos)
        pos += 4
        if pos + size > len(body):
            raise FrameError("truncated attachment")
        attachments.append(body[pos : pos + size])
        pos += size
    return _resolve(header, attachments) if attachments else header


def read_frame(stream, max_frame=DEFAULT_MAX_FRAME):
    """Reads one frame from a binary file object; returns the header, or None at EOF."""
    prefix = stream.read(4)
    if not prefix:
        return None
    if len(prefix) < 4:
        raise FrameError("connection closed inside a frame")
    (body_len,) = _U32.unpack(prefix)
    if body_len > max_frame:
        raise FrameError("frame of {} bytes exceeds max_frame".format(body_len))
    body = stream.read(body_len)
    if len(body) < body_len:
        raise FrameError("connection closed inside a frame")
    return decode_body(body)


class SocketReader:
    """Reads exact byte counts from a socket with a plain buffer (no io locks, so a forked
    child never inherits a lock held by the parent's reader thread)."""

    def __init__(self, sock):
        self._sock = sock
        self._buffer = bytearray()

    def read(self, size):
        """Up to `size` bytes: fewer only at end of stream."""
        while len(self._buffer) < size:
            chunk = self._sock.recv(max(65536, size - len(self._buffer)))
            if not chunk:
                break
            self._buffer += chunk
        data = bytes(self._buffer[:size])
        del self._buffer[:size]
        return data
