"""Tests for the BLE Heart Rate Measurement (0x2A37) parser and encoder.

Published vectors: Bluetooth SIG, Heart Rate Service 1.0 and GATT Specification
Supplement ("Heart Rate Measurement"), as quoted in DESIGN.md section 4.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coregulate.acquisition import (
    HeartRateMeasurement,
    HeartRateMeasurementError,
    encode_heart_rate_measurement,
    parse_heart_rate_measurement,
)

# (payload hex, expected measurement). Source: Bluetooth SIG Heart Rate Service /
# GATT Specification Supplement, quoted in DESIGN.md section 4.
PUBLISHED_VECTORS = [
    # flags 0x16: RR present + contact bits value 3; HR 0x48; RR 0x0154, 0x02EC
    ("16 48 54 01 EC 02", HeartRateMeasurement(72, contact=True, rr_ticks=(340, 748))),
    ("00 FF", HeartRateMeasurement(255)),  # uint8 HR at its maximum
    ("01 80 80", HeartRateMeasurement(32896)),  # uint16 HR, little-endian 0x8080
    ("06 00", HeartRateMeasurement(0, contact=True)),  # contact supported and detected
    ("04 00", HeartRateMeasurement(0, contact=False)),  # supported, not detected
    ("09 00 00 FF FF", HeartRateMeasurement(0, energy_kj=65535)),  # uint16 HR + energy
    ("11 00 00 FF FF 7F 80", HeartRateMeasurement(0, rr_ticks=(65535, 32895))),
]


@pytest.mark.parametrize(("payload_hex", "expected"), PUBLISHED_VECTORS)
def test_published_vectors_parse(payload_hex: str, expected: HeartRateMeasurement) -> None:
    assert parse_heart_rate_measurement(bytes.fromhex(payload_hex)) == expected


def test_first_vector_rr_ms_is_unrounded() -> None:
    m = parse_heart_rate_measurement(bytes.fromhex("16 48 54 01 EC 02"))
    assert m.rr_ms == (340 * 1000 / 1024, 748 * 1000 / 1024)
    assert all(isinstance(v, float) for v in m.rr_ms)


@pytest.mark.parametrize(
    ("payload_hex", "hr_uint16"),
    [
        ("16 48 54 01 EC 02", False),
        ("00 FF", False),
        ("01 80 80", True),
        ("06 00", False),
        ("04 00", False),
        ("09 00 00 FF FF", True),
        ("11 00 00 FF FF 7F 80", True),
    ],
)
def test_published_vectors_encode_byte_exact(payload_hex: str, hr_uint16: bool) -> None:
    payload = bytes.fromhex(payload_hex)
    m = parse_heart_rate_measurement(payload)
    encoded = encode_heart_rate_measurement(
        m.hr_bpm,
        contact=m.contact,
        energy_kj=m.energy_kj,
        rr_ticks=m.rr_ticks,
        hr_uint16=hr_uint16,
    )
    assert encoded == payload


@pytest.mark.parametrize("view", [bytes, bytearray, memoryview])
def test_accepts_all_buffer_types(view: type) -> None:
    m = parse_heart_rate_measurement(view(bytes.fromhex("16 48 54 01 EC 02")))
    assert m.rr_ticks == (340, 748)


def test_memoryview_of_wider_items_reads_raw_bytes() -> None:
    buf = memoryview(bytearray.fromhex("10 48 54 01")).cast("H")
    assert parse_heart_rate_measurement(buf).rr_ticks == (340,)


def test_contact_bits_value_1_means_not_supported() -> None:
    assert parse_heart_rate_measurement(bytes.fromhex("02 40")).contact is None


def test_reserved_flags_are_reported_not_rejected() -> None:
    m = parse_heart_rate_measurement(bytes.fromhex("E6 40"))
    assert m.reserved_flags == 0xE0
    assert (m.hr_bpm, m.contact) == (64, True)


def test_rr_flag_with_empty_list_is_valid() -> None:
    assert parse_heart_rate_measurement(bytes.fromhex("10 40")).rr_ticks == ()


@pytest.mark.parametrize(
    ("payload_hex", "message_part"),
    [
        ("", "empty"),
        ("00", "uint8 HR"),
        ("01", "uint16 HR"),
        ("01 80", "uint16 HR but payload has 2 bytes"),
        ("08 40", "energy"),
        ("08 40 01", "energy"),
        ("09 00 00 FF", "energy"),
        ("10 40 54", "odd trailing byte"),
        ("10 40 54 01 EC", "odd trailing byte"),
        ("00 40 54", "RR-present flag is not set"),
        ("08 40 00 00 01", "RR-present flag is not set"),
    ],
)
def test_malformed_payloads_raise_documented_error(payload_hex: str, message_part: str) -> None:
    with pytest.raises(HeartRateMeasurementError, match=message_part):
        parse_heart_rate_measurement(bytes.fromhex(payload_hex))


def test_error_is_a_value_error() -> None:
    assert issubclass(HeartRateMeasurementError, ValueError)


@pytest.mark.parametrize("bad", ["16 48", [0x16, 0x48], None, 72])
def test_wrong_python_type_raises_type_error(bad: object) -> None:
    with pytest.raises(TypeError):
        parse_heart_rate_measurement(bad)  # type: ignore[arg-type]


def test_encode_picks_uint16_automatically() -> None:
    assert encode_heart_rate_measurement(255) == bytes.fromhex("00 FF")
    assert encode_heart_rate_measurement(256) == bytes.fromhex("01 00 01")


@pytest.mark.parametrize(
    "kwargs",
    [
        {"hr_bpm": -1},
        {"hr_bpm": 65536},
        {"hr_bpm": 300, "hr_uint16": False},
        {"hr_bpm": 60, "energy_kj": 65536},
        {"hr_bpm": 60, "energy_kj": -1},
        {"hr_bpm": 60, "rr_ticks": (1024, 65536)},
        {"hr_bpm": 60, "rr_ticks": (-5,)},
        {"hr_bpm": 60, "reserved_flags": 0x01},
    ],
)
def test_encode_range_errors(kwargs: dict) -> None:
    with pytest.raises(ValueError):
        encode_heart_rate_measurement(**kwargs)


def test_encode_rejects_non_integers() -> None:
    with pytest.raises(TypeError):
        encode_heart_rate_measurement(72.0)  # type: ignore[arg-type]


# --- property tests ----------------------------------------------------------------

uint16 = st.integers(min_value=0, max_value=0xFFFF)


@given(st.binary(max_size=64))
def test_random_bytes_only_raise_the_documented_error(data: bytes) -> None:
    try:
        m = parse_heart_rate_measurement(data)
    except HeartRateMeasurementError:
        return
    assert isinstance(m, HeartRateMeasurement)


@given(
    hr_bpm=uint16,
    contact=st.none() | st.booleans(),
    energy_kj=st.none() | uint16,
    rr_ticks=st.lists(uint16, max_size=12).map(tuple),
    hr_uint16=st.none() | st.just(True),
    reserved_flags=st.sampled_from([0x00, 0x20, 0x40, 0x80, 0xE0]),
)
def test_encode_then_parse_round_trips(
    hr_bpm: int,
    contact: bool | None,
    energy_kj: int | None,
    rr_ticks: tuple[int, ...],
    hr_uint16: bool | None,
    reserved_flags: int,
) -> None:
    payload = encode_heart_rate_measurement(
        hr_bpm,
        contact=contact,
        energy_kj=energy_kj,
        rr_ticks=rr_ticks,
        hr_uint16=hr_uint16,
        reserved_flags=reserved_flags,
    )
    assert parse_heart_rate_measurement(payload) == HeartRateMeasurement(
        hr_bpm, contact, energy_kj, rr_ticks, reserved_flags
    )


@given(st.binary(max_size=64))
def test_parse_encode_parse_is_stable(data: bytes) -> None:
    try:
        first = parse_heart_rate_measurement(data)
    except HeartRateMeasurementError:
        return
    again = parse_heart_rate_measurement(
        encode_heart_rate_measurement(
            first.hr_bpm,
            contact=first.contact,
            energy_kj=first.energy_kj,
            rr_ticks=first.rr_ticks,
            reserved_flags=first.reserved_flags,
        )
    )
    assert again == first


@given(
    flags=st.integers(min_value=0, max_value=0xFF),
    body=st.lists(uint16, max_size=8),
)
def test_well_formed_payloads_for_every_flags_byte_parse(flags: int, body: list[int]) -> None:
    # Build a payload of exactly the length the flags call for, plus whole RR values.
    size = 1 + (2 if flags & 0x01 else 1) + (2 if flags & 0x08 else 0)
    raw = b"".join(v.to_bytes(2, "little") for v in body)
    fixed = (raw + bytes(size))[: size - 1]
    rr = raw if flags & 0x10 else b""
    m = parse_heart_rate_measurement(bytes((flags,)) + fixed + rr)
    assert len(m.rr_ticks) == (len(body) if flags & 0x10 else 0)
    assert m.reserved_flags == flags & 0xE0
