"""Polar Measurement Data (PMD) ECG: control point commands, responses and data frames.

Pure functions, bytes in, frozen dataclasses out (no bleak here). The layout, from
Polar's BLE SDK technical documentation (polarofficial/polar-ble-sdk, technical_documentation):

- Control point (…5C81…), written by the host. Start ECG at 130 Hz, 14-bit:
  ``02 00 00 01 82 00 01 01 0E 00`` = op 0x02 (start), type 0x00 (ECG), setting 0x00
  (sample rate) ×1 = 130 (uint16 LE), setting 0x01 (resolution) ×1 = 14.
- Control point responses, indicated by the strap: ``F0 op type error more [params]``.
  Error 0 is success; the others are named in `PMD_ERRORS`.
- Data (…5C82…), notified: byte 0 measurement type (0 = ECG), bytes 1-8 uint64 LE
  timestamp in ns since 2000-01-01T00:00 (of the *last* sample), byte 9 frame type
  (0 = raw), then 3-byte signed little-endian samples in µV.

Examples
--------
>>> parse_control_response(bytes.fromhex("F0 02 00 00 00")).ok
True
>>> frame = decode_ecg_frame(bytes.fromhex("00 0100000000000000 00 FFFFFF 000080"))
>>> frame.timestamp_ns, frame.samples_uv
(1, (-1, -8388608))
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

PMD_SERVICE_UUID: Final = "FB005C80-02E7-F387-1CAD-8ACD2D8DF0C8"
PMD_CONTROL_UUID: Final = "FB005C81-02E7-F387-1CAD-8ACD2D8DF0C8"
PMD_DATA_UUID: Final = "FB005C82-02E7-F387-1CAD-8ACD2D8DF0C8"
OP_GET_SETTINGS: Final = 0x01
OP_START: Final = 0x02
OP_STOP: Final = 0x03
TYPE_ECG: Final = 0x00
RESPONSE_CODE: Final = 0xF0
FRAME_TYPE_RAW: Final = 0x00
ECG_RATE_HZ: Final = 130
ECG_HEADER_BYTES: Final = 10
ECG_SAMPLE_BYTES: Final = 3

START_ECG_130HZ: Final = bytes((OP_START, TYPE_ECG, 0x00, 0x01, 0x82, 0x00, 0x01, 0x01, 0x0E, 0x00))
STOP_ECG: Final = bytes((OP_STOP, TYPE_ECG))

# Seconds from the Unix epoch to PMD's epoch, 2000-01-01T00:00:00 UTC.
PMD_EPOCH_UNIX_S: Final = 946_684_800

# Control point error codes (Polar BLE SDK, PmdControlPointResponse).
PMD_ERRORS: Final = {
    0: "success",
    1: "invalid op code",
    2: "invalid measurement type",
    3: "not supported",
    4: "invalid length",
    5: "invalid parameter",
    6: "already in state",
    7: "invalid resolution",
    8: "invalid sample rate",
    9: "invalid range",
    10: "invalid MTU",
    11: "invalid number of channels",
    12: "invalid state",
    13: "device in charger",
    14: "disk full",
}


class PmdError(ValueError):
    """Bytes that are not a well-formed PMD response or ECG frame; the text says why."""


@dataclass(frozen=True, slots=True)
class ControlResponse:
    """A decoded control point response."""

    op: int
    measurement_type: int
    error: int
    more: bool
    params: bytes

    @property
    def ok(self) -> bool:
        """Return True if the strap accepted the command."""
        return self.error == 0

    @property
    def error_name(self) -> str:
        """Return the error code's name (``"device in charger"``), or ``"error N"``."""
        return PMD_ERRORS.get(self.error, f"error {self.error}")


def parse_control_response(data: bytes) -> ControlResponse:
    """Return the decoded control point response in `data`.

    Raises
    ------
    PmdError
        If `data` is shorter than 4 bytes or does not start with 0xF0.
    """
    if len(data) < 4:
        raise PmdError(f"control response too short: {len(data)} bytes, expected at least 4")
    if data[0] != RESPONSE_CODE:
        raise PmdError(f"not a control response: first byte {data[0]:#04x}, expected 0xf0")
    more = len(data) > 4 and data[4] != 0
    return ControlResponse(data[1], data[2], data[3], more, bytes(data[5:]))


@dataclass(frozen=True, slots=True)
class EcgFrame:
    """One ECG data frame: samples in µV, the last one stamped by the strap's clock."""

    timestamp_ns: int  # ns since 2000-01-01 (PMD epoch) of the last sample
    samples_uv: tuple[int, ...]

    def sample_times_ns(self, rate_hz: float = ECG_RATE_HZ) -> tuple[int, ...]:
        """Return each sample's time on the strap's clock (ns since the PMD epoch)."""
        n = len(self.samples_uv)
        return tuple(self.timestamp_ns - round((n - 1 - i) * 1e9 / rate_hz) for i in range(n))


def decode_ecg_frame(data: bytes) -> EcgFrame:
    """Return the ECG samples and timestamp of one PMD data notification.

    Raises
    ------
    PmdError
        If the frame is not ECG, not a raw frame, has no samples, or its sample
        bytes are not a multiple of 3.
    """
    if len(data) < ECG_HEADER_BYTES:
        raise PmdError(f"ECG frame too short: {len(data)} bytes, header alone is 10")
    if data[0] != TYPE_ECG:
        raise PmdError(f"not an ECG frame: measurement type {data[0]}")
    if data[9] != FRAME_TYPE_RAW:
        raise PmdError(f"unsupported ECG frame type {data[9]} (only raw, 0, is known)")
    body = data[ECG_HEADER_BYTES:]
    if not body or len(body) % ECG_SAMPLE_BYTES:
        raise PmdError(f"ECG frame has {len(body)} sample bytes, expected a positive multiple of 3")
    samples = tuple(
        int.from_bytes(body[i : i + 3], "little", signed=True)
        for i in range(0, len(body), ECG_SAMPLE_BYTES)
    )
    return EcgFrame(int.from_bytes(data[1:9], "little"), samples)


def encode_ecg_frame(timestamp_ns: int, samples_uv: tuple[int, ...] | list[int]) -> bytes:
    """Return the PMD data bytes of an ECG frame (for emulated straps and tests)."""
    body = b"".join(int(s).to_bytes(3, "little", signed=True) for s in samples_uv)
    return bytes((TYPE_ECG,)) + timestamp_ns.to_bytes(8, "little") + bytes((FRAME_TYPE_RAW,)) + body
