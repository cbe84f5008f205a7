"""A minimal XDF writer for tests, from the published XDF 1.0 specification.

Spec (github.com/sccn/xdf, "Specifications"): the file starts with ``XDF:``, then
chunks ``[NumLengthBytes: 1 byte (1, 4 or 8)][Length: that many bytes, LE, counting
the tag and content][Tag: uint16 LE][Content]``. Tags: 1 FileHeader (XML),
2 StreamHeader (uint32 stream id + XML), 3 Samples (uint32 stream id, then the
sample count as a variable-length int, then per sample ``[TimeStampBytes: 0 or 8]
[double64 time stamp][values]``), 6 StreamFooter (uint32 stream id + XML).
Variable-length ints are ``[NumLengthBytes][value]`` like chunk lengths.
"""

from __future__ import annotations

import struct
from pathlib import Path


def _varlen(n: int) -> bytes:
    if n < 256:
        return b"\x01" + struct.pack("<B", n)
    if n < 2**32:
        return b"\x04" + struct.pack("<I", n)
    return b"\x08" + struct.pack("<Q", n)


def _chunk(tag: int, content: bytes) -> bytes:
    body = struct.pack("<H", tag) + content
    return _varlen(len(body)) + body


def write_xdf(
    path: Path,
    streams: list[tuple[str, str, list[float], list[float]]],
    datetime_iso: str = "2024-05-01T10:00:00+00:00",
) -> Path:
    """Write `streams` (name, type, time stamps in s, one double per sample) as an XDF file."""
    out = bytearray(b"XDF:")
    out += _chunk(
        1,
        f'<?xml version="1.0"?><info><version>1.0</version>'
        f"<datetime>{datetime_iso}</datetime></info>".encode(),
    )
    for sid, (name, kind, stamps, values) in enumerate(streams, start=1):
        header = (
            f'<?xml version="1.0"?><info><name>{name}</name><type>{kind}</type>'
            "<channel_count>1</channel_count><nominal_srate>0</nominal_srate>"
            "<channel_format>double64</channel_format><source_id>test</source_id>"
            "<created_at>0</created_at><desc/></info>"
        )
        out += _chunk(2, struct.pack("<I", sid) + header.encode())
        samples = bytearray(struct.pack("<I", sid) + _varlen(len(values)))
        for t, v in zip(stamps, values, strict=True):
            samples += b"\x08" + struct.pack("<d", t) + struct.pack("<d", v)
        out += _chunk(3, bytes(samples))
    for sid, (_, _, stamps, values) in enumerate(streams, start=1):
        footer = (
            f'<?xml version="1.0"?><info><first_timestamp>{stamps[0]}</first_timestamp>'
            f"<last_timestamp>{stamps[-1]}</last_timestamp>"
            f"<sample_count>{len(values)}</sample_count></info>"
        )
        out += _chunk(6, struct.pack("<I", sid) + footer.encode())
    path.write_bytes(bytes(out))
    return path
