"""The bus envelope: encoding, decoding and rejection of anything malformed."""

from __future__ import annotations

import contextlib
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coregulate.bus.envelope import (
    MAX_PAYLOAD_BYTES,
    SCHEMA_VERSION,
    EnvelopeError,
    decode_frames,
    encode_header,
    make_message,
)


def test_round_trip_json_payload() -> None:
    msg = make_message("metrics.client", "signal", 7, 123_456_789, {"hr_bpm": 71.5})
    frames = msg.frames()
    assert frames[0] == b"metrics.client"
    header = json.loads(frames[1])
    assert header == {
        "v": SCHEMA_VERSION,
        "src": "signal",
        "seq": 7,
        "t_ns": 123_456_789,
        "enc": "json",
    }
    back = decode_frames(frames)
    assert back == msg
    assert back.json() == {"hr_bpm": 71.5}
    assert back.role == "client"
    assert back.stream == ("signal", "metrics.client")


def test_round_trip_raw_bytes() -> None:
    raw = bytes.fromhex("16485401EC02")
    msg = make_message("hrm.therapist", "acq", 1, -5, raw)
    assert msg.enc == "bytes"
    back = decode_frames(msg.frames())
    assert back.payload == raw
    with pytest.raises(EnvelopeError):
        back.json()


@pytest.mark.parametrize(
    ("frames", "why"),
    [
        ([b"beat.client", encode_header("acq", 1, 0)], "expected 3 frames"),
        ([b"beat.client", b"{not json", b"{}"], "not valid"),
        ([b"beat.client", b"[1, 2]", b"{}"], "not a JSON object"),
        ([b"beat.client", encode_header("acq", 1, 0, version=2), b"{}"], "schema version"),
        ([b"beat.client", b'{"v":true,"src":"a","seq":1,"t_ns":0}', b"{}"], "schema version"),
        ([b"Beat Client", encode_header("acq", 1, 0), b"{}"], "invalid topic"),
        ([b"beat.client", encode_header("acq", 0, 0), b"{}"], "invalid seq"),
        ([b"beat.client", b'{"v":1,"src":"a","seq":true,"t_ns":0}', b"{}"], "invalid seq"),
        ([b"beat.client", b'{"v":1,"src":"a","seq":1,"t_ns":1.5}', b"{}"], "invalid t_ns"),
        ([b"beat.client", b'{"v":1,"src":"a b","seq":1,"t_ns":0}', b"{}"], "invalid source"),
        ([b"beat.client", encode_header("acq", 1, 0, enc="xml"), b"{}"], "invalid enc"),
        (
            [b"beat.client", encode_header("acq", 1, 0), b"x" * (MAX_PAYLOAD_BYTES + 1)],
            "payload is",
        ),
        ([b"t" * 65, encode_header("acq", 1, 0), b"{}"], "topic frame"),
    ],
)
def test_rejects_malformed(frames: list[bytes], why: str) -> None:
    with pytest.raises(EnvelopeError, match=why):
        decode_frames(frames)


def test_nan_payload_refused() -> None:
    with pytest.raises(ValueError):
        make_message("metrics.client", "signal", 1, 0, {"x": float("nan")})


@settings(max_examples=500)
@given(st.lists(st.binary(max_size=80), max_size=5))
def test_random_frames_raise_only_envelope_error(frames: list[bytes]) -> None:
    with contextlib.suppress(EnvelopeError):
        decode_frames(frames)


@settings(max_examples=300)
@given(
    st.dictionaries(
        st.text(max_size=8), st.one_of(st.integers(), st.text(max_size=8), st.none()), max_size=6
    ),
)
def test_random_headers_raise_only_envelope_error(header: dict[str, object]) -> None:
    with contextlib.suppress(EnvelopeError):
        decode_frames([b"beat.client", json.dumps(header).encode(), b"{}"])
