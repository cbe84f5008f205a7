"""Polar Measurement Data (PMD) accelerometer: start/stop commands and raw data frames.

Pure functions, bytes in, frozen dataclasses out (no bleak here), beside `pmd` (ECG).
The layout, from Polar's BLE SDK (polarofficial/polar-ble-sdk: technical_documentation
and the Android parser ``pmd/model/AccData.kt`` with its test ``AccDataTest.kt``):

- Start ACC on the H10 at 200 Hz, 16 bit, ±8 g:
  ``02 02 00 01 C8 00 01 01 10 00 02 01 08 00`` = op 0x02 (start), type 0x02 (ACC),
  setting 0x00 (sample rate) ×1 = 200 (uint16 LE), setting 0x01 (resolution) ×1 = 16,
  setting 0x02 (range) ×1 = 8 g. The H10 accepts 25, 50, 100 or 200 Hz and 2, 4 or 8 g.
- Data: byte 0 measurement type (2 = ACC), bytes 1-8 uint64 LE timestamp in ns since
  2000-01-01 (of the *last* sample), byte 9 frame type, then x, y, z per sample as
  signed little-endian integers in mg: 1 byte each for raw frame type 0, 2 bytes for
  type 1 (the H10's), 3 bytes for type 2. Frame types with bit 7 set are
  delta-compressed (Verity Sense, not the H10) and are refused with a reason.

Examples
--------
>>> frame = decode_acc_frame(bytes.fromhex("02 0100000000000000 01 F7FF FFFF E703"))
>>> frame.timestamp_ns, frame.samples_mg
(1, ((-9, -1, 999),))
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np

from coregulate.acquisition.pmd import OP_START, OP_STOP, PmdError

TYPE_ACC: Final = 0x02
ACC_RATE_HZ: Final = 200
ACC_RANGE_G: Final = 8
ACC_HEADER_BYTES: Final = 10
# Raw frame type -> bytes per axis value (AccData.kt, TYPE_0/1/2_SAMPLE_SIZE_IN_BYTES).
ACC_FRAME_BYTES: Final = {0x00: 1, 0x01: 2, 0x02: 3}
COMPRESSED_BIT: Final = 0x80

START_ACC_200HZ: Final = bytes(
    # (setting id, count, uint16 LE value): rate 200 Hz, resolution 16 bit, range 8 g.
    (OP_START, TYPE_ACC, 0, 1, ACC_RATE_HZ, 0, 1, 1, 16, 0, 2, 1, ACC_RANGE_G, 0)
)
STOP_ACC: Final = bytes((OP_STOP, TYPE_ACC))


@dataclass(frozen=True, slots=True)
class AccFrame:
    """One ACC data frame: (x, y, z) samples in mg, the last one stamped by the strap."""

    timestamp_ns: int  # ns since 2000-01-01 (PMD epoch) of the last sample
    samples_mg: tuple[tuple[int, int, int], ...]

    def sample_times_ns(self, rate_hz: float = ACC_RATE_HZ) -> tuple[int, ...]:
        """Return each sample's time on the strap's clock (ns since the PMD epoch)."""
        n = len(self.samples_mg)
        return tuple(self.timestamp_ns - round((n - 1 - i) * 1e9 / rate_hz) for i in range(n))


def check_acc_frame(data: bytes) -> int:
    """Return the bytes per axis value of a well-formed raw ACC frame (no decoding: cheap).

    Raises
    ------
    PmdError
        If the frame is not ACC, is compressed or of an unknown frame type, or its
        sample bytes are not a positive multiple of one (x, y, z) sample.
    """
    if len(data) < ACC_HEADER_BYTES:
        raise PmdError(f"ACC frame too short: {len(data)} bytes, header alone is 10")
    if data[0] != TYPE_ACC:
        raise PmdError(f"not an ACC frame: measurement type {data[0]}")
    frame_type = data[9]
    if frame_type & COMPRESSED_BIT:
        raise PmdError(f"compressed ACC frame type {frame_type:#04x} is not supported (no H10)")
    width = ACC_FRAME_BYTES.get(frame_type)
    if width is None:
        raise PmdError(f"unsupported ACC frame type {frame_type}")
    n_body = len(data) - ACC_HEADER_BYTES
    if not n_body or n_body % (3 * width):
        raise PmdError(
            f"ACC frame has {n_body} sample bytes, expected a positive multiple of {3 * width}"
        )
    return width


def decode_acc_frame(data: bytes) -> AccFrame:
    """Return the (x, y, z) mg samples and timestamp of one PMD ACC notification.

    Raises
    ------
    PmdError
        As :func:`check_acc_frame`.
    """
    width = check_acc_frame(data)
    body = data[ACC_HEADER_BYTES:]
    if width == 2:  # the H10's: one numpy view instead of a Python loop per value
        values = np.frombuffer(body, dtype="<i2").tolist()
    else:
        values = [
            int.from_bytes(body[i : i + width], "little", signed=True)
            for i in range(0, len(body), width)
        ]
    samples = tuple(zip(values[0::3], values[1::3], values[2::3], strict=True))
    return AccFrame(int.from_bytes(data[1:9], "little"), samples)


def acc_frame_array(data: bytes) -> tuple[int, np.ndarray]:
    """Return a raw ACC frame's timestamp and its samples as an (n, 3) int array in mg.

    The fast path for streams (one numpy view, no Python object per sample); same
    checks and values as :func:`decode_acc_frame`.
    """
    width = check_acc_frame(data)
    if width == 2:
        values = np.frombuffer(data, dtype="<i2", offset=ACC_HEADER_BYTES)
    else:
        values = np.array(decode_acc_frame(data).samples_mg).ravel()
    return int.from_bytes(data[1:9], "little"), values.reshape(-1, 3)


def encode_acc_frame(
    timestamp_ns: int, samples_mg: tuple[tuple[int, int, int], ...] | list[tuple[int, int, int]]
) -> bytes:
    """Return the PMD data bytes of a 16-bit raw ACC frame (for emulated straps and tests)."""
    body = b"".join(int(v).to_bytes(2, "little", signed=True) for s in samples_mg for v in s)
    return bytes((TYPE_ACC,)) + timestamp_ns.to_bytes(8, "little") + bytes((0x01,)) + body
