"""Polar PMD accelerometer: start command and raw frames by the published layout and vectors."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coregulate.acquisition.pmd import PmdError, decode_ecg_frame
from coregulate.acquisition.pmd_acc import (
    START_ACC_200HZ,
    STOP_ACC,
    AccFrame,
    decode_acc_frame,
    encode_acc_frame,
)

# Polar's own vector: polarofficial/polar-ble-sdk, Android library,
# src/test/.../pmd/model/AccDataTest.kt, "process acc raw data frame type 1": header
# 02 | 00 94 35 77 00 00 00 00 (2 000 000 000 ns) | 01, then 16-bit LE x, y, z in mg;
# first sample (-9, -1, 999), second (-8, -2, 997), 36 samples (216 bytes / 6).
POLAR_ACC_TYPE1_BODY = (
    "F7FFFFFFE703 F8FFFEFFE503 F9FFFFFFE503 FAFFFFFFE603 FAFFFEFFE603 F9FFFFFFE503 "
    "F8FFFFFFE603 F8FFFEFFE603 FAFFFFFFE503 FAFFFFFFE703 FAFFFFFFE503 F8FFFFFFE603 "
    "F7FFFFFFE603 F8FFFEFFE603 F9FFFEFFE703 F9FF0000E603 F9FFFFFFE603 F7FFFEFFE503 "
    "F9FFFFFFE503 F9FFFFFFE503 FAFF0000E603 F9FFFEFFE603 F8FFFFFFE603 F8FFFFFFE503 "
    "F9FFFFFFE603 F9FFFFFFE503 FAFFFFFFE603 F9FFFFFFE503 F9FFFFFFE503 F8FFFEFFE603 "
    "F9FFFFFFE603 F9FFFFFFE603 F9FF0000E503 F9FFFEFFE603 F8FFFEFFE603 F7FFFEFFE603"
)


def test_start_acc_command_is_the_published_vector() -> None:
    # polar-ble-sdk PMD settings: start (02) ACC (02), rate 200 Hz, 16 bit, range 8 g;
    # the same bytes the H10 web/Python clients send (e.g. bleakheart, polar-python).
    assert bytes.fromhex("02 02 00 01 C8 00 01 01 10 00 02 01 08 00") == START_ACC_200HZ
    assert bytes.fromhex("03 02") == STOP_ACC


def test_polar_sdk_acc_type1_vector_is_decoded() -> None:
    data = bytes.fromhex("02 0094357700000000 01" + POLAR_ACC_TYPE1_BODY)
    frame = decode_acc_frame(data)
    assert frame.timestamp_ns == 2_000_000_000
    assert frame.samples_mg[:2] == ((-9, -1, 999), (-8, -2, 997))
    assert len(frame.samples_mg) == len(bytes.fromhex(POLAR_ACC_TYPE1_BODY)) // 6 == 36
    assert encode_acc_frame(frame.timestamp_ns, frame.samples_mg) == data
    # The stamp is the last sample's; earlier ones are 1/rate apart (5 ms at 200 Hz).
    assert frame.sample_times_ns()[-1] == 2_000_000_000
    assert frame.sample_times_ns()[-2] == 2_000_000_000 - 5_000_000
    assert AccFrame(10**9, ((0, 0, 0),) * 2).sample_times_ns(52)[0] == 10**9 - round(1e9 / 52)


@pytest.mark.parametrize(
    ("body", "frame_type", "first"),
    [("F7 FF 7F", 0, (-9, -1, 127)), ("F7FFFF FFFFFF E70300", 2, (-9, -1, 999))],
)
def test_other_raw_widths(body: str, frame_type: int, first: tuple[int, int, int]) -> None:
    # AccData.kt: raw type 0 = 1 byte per axis, type 2 = 3 bytes per axis.
    data = bytes.fromhex(f"02 0100000000000000 {frame_type:02x} {body}")
    assert decode_acc_frame(data).samples_mg == (first,)


@pytest.mark.parametrize(
    ("data", "words"),
    [
        ("02 0100000000000000 01", "positive multiple of 6"),
        ("02 0100000000000000 01 F7FFFFFF", "positive multiple of 6"),
        ("02 01000000", "too short"),
        ("00 0100000000000000 01 F7FFFFFFE703", "not an ACC frame"),
        ("02 0100000000000000 80 7107F06A9E8D", "compressed"),
        ("02 0100000000000000 05 F7FFFFFFE703", "unsupported ACC frame type"),
    ],
)
def test_wrong_acc_frames_raise_pmd_error(data: str, words: str) -> None:
    with pytest.raises(PmdError, match=words):
        decode_acc_frame(bytes.fromhex(data))


def test_ecg_decoder_still_refuses_acc_frames() -> None:
    with pytest.raises(PmdError, match="not an ECG frame"):
        decode_ecg_frame(encode_acc_frame(1, [(1, 2, 3)]))


@given(st.binary(max_size=300))
def test_no_byte_string_makes_the_acc_decoder_raise_anything_else(data: bytes) -> None:
    with contextlib.suppress(PmdError):
        decode_acc_frame(data)


def test_array_fast_path_equals_the_decoder() -> None:
    from coregulate.acquisition.pmd_acc import acc_frame_array

    data = bytes.fromhex("02 0094357700000000 01" + POLAR_ACC_TYPE1_BODY)
    t_ns, mg = acc_frame_array(data)
    assert t_ns == 2_000_000_000 and mg.shape == (36, 3)
    assert [tuple(r) for r in mg.tolist()] == list(decode_acc_frame(data).samples_mg)
    _, mg8 = acc_frame_array(bytes.fromhex("02 0100000000000000 00 F7FF7F"))
    assert mg8.tolist() == [[-9, -1, 127]]
