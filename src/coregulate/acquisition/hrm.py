"""Parse and build BLE Heart Rate Measurement (characteristic 0x2A37) payloads.

The Heart Rate Service (0x180D) notifies one Heart Rate Measurement per notification.
Its layout (Bluetooth SIG, Heart Rate Service 1.0 and the GATT Specification
Supplement, "Heart Rate Measurement"):

========  ======================================================================
byte 0    flags: bit0 HR format (0 uint8, 1 uint16); bits1-2 sensor contact
          (0 or 1 not supported, 2 supported but no contact, 3 contact);
          bit3 energy expended present; bit4 RR intervals present; bits5-7 RFU
next      HR in bpm, uint8 or uint16 little-endian
next      energy expended in kJ, uint16 LE, if bit3
rest      RR intervals, uint16 LE each, 1/1024 s, oldest first, if bit4
========  ======================================================================

The payload carries no timestamp: callers stamp arrival time themselves. RR values are
kept as the raw 1/1024 s ticks; :attr:`HeartRateMeasurement.rr_ms` converts them to
milliseconds without rounding.

Examples
--------
>>> m = parse_heart_rate_measurement(bytes.fromhex("16 48 54 01 EC 02"))
>>> m.hr_bpm, m.contact, m.rr_ticks
(72, True, (340, 748))
>>> encode_heart_rate_measurement(72, contact=True, rr_ticks=(340, 748)).hex(" ")
'16 48 54 01 ec 02'
"""

from __future__ import annotations

import operator
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

__all__ = [
    "HeartRateMeasurement",
    "HeartRateMeasurementError",
    "encode_heart_rate_measurement",
    "parse_heart_rate_measurement",
]

FLAG_HR_UINT16: Final = 0x01
FLAG_CONTACT_MASK: Final = 0x06
FLAG_ENERGY_PRESENT: Final = 0x08
FLAG_RR_PRESENT: Final = 0x10
FLAG_RESERVED_MASK: Final = 0xE0

_CONTACT_NOT_DETECTED: Final = 2
_CONTACT_DETECTED: Final = 3
RR_TICKS_PER_S: Final = 1024  # RR resolution fixed by the specification
_UINT8_MAX: Final = 0xFF
_UINT16_MAX: Final = 0xFFFF


class HeartRateMeasurementError(ValueError):
    """A byte string that is not a well-formed Heart Rate Measurement payload."""


@dataclass(frozen=True, slots=True)
class HeartRateMeasurement:
    """One decoded Heart Rate Measurement notification.

    Attributes
    ----------
    hr_bpm : int
        Heart rate as reported by the sensor, beats per minute.
    contact : bool or None
        True if the sensor reports skin contact, False if it supports contact
        detection but has none, None if it does not support contact detection.
    energy_kj : int or None
        Accumulated energy expended in kJ, None when the field is absent.
    rr_ticks : tuple of int
        RR intervals in raw 1/1024 s units, oldest first; empty when absent.
    reserved_flags : int
        Bits 5-7 of the flags byte, left in place (0 for a conforming sensor), so a
        caller can notice sensors that set flags this parser does not understand.
    """

    hr_bpm: int
    contact: bool | None = None
    energy_kj: int | None = None
    rr_ticks: tuple[int, ...] = ()
    reserved_flags: int = 0

    @property
    def rr_ms(self) -> tuple[float, ...]:
        """RR intervals in milliseconds (ticks * 1000 / 1024, not rounded)."""
        return tuple(tick * 1000 / RR_TICKS_PER_S for tick in self.rr_ticks)


def parse_heart_rate_measurement(data: bytes | bytearray | memoryview) -> HeartRateMeasurement:
    """Return the decoded Heart Rate Measurement for one 0x2A37 payload.

    Parameters
    ----------
    data : bytes, bytearray or memoryview
        The characteristic value exactly as notified. A memoryview of any format is
        read as its raw bytes.

    Returns
    -------
    HeartRateMeasurement
        The decoded fields; RR intervals stay in 1/1024 s ticks.

    Raises
    ------
    HeartRateMeasurementError
        If the payload is empty, shorter than its flags require (HR or energy field
        cut off), has an odd byte at the end of the RR list, or has bytes left over
        when the RR flag is not set. No other exception escapes for any byte string.
    TypeError
        If `data` is not bytes, bytearray or memoryview (a programming error, not a
        malformed payload).

    Examples
    --------
    >>> parse_heart_rate_measurement(b"\\x00\\xff").hr_bpm
    255
    """
    if isinstance(data, bytes | bytearray):
        payload = bytes(data)
    elif isinstance(data, memoryview):
        payload = data.tobytes()
    else:
        raise TypeError(
            f"heart rate measurement must be bytes, bytearray or memoryview, "
            f"not {type(data).__name__}"
        )
    if not payload:
        raise HeartRateMeasurementError("empty payload: expected at least the flags byte")

    flags = payload[0]
    pos = 1
    if flags & FLAG_HR_UINT16:
        if len(payload) < pos + 2:
            raise HeartRateMeasurementError(
                f"truncated: flags say uint16 HR but payload has {len(payload)} bytes"
            )
        hr_bpm = int.from_bytes(payload[pos : pos + 2], "little")
        pos += 2
    else:
        if len(payload) < pos + 1:
            raise HeartRateMeasurementError(
                f"truncated: flags say uint8 HR but payload has {len(payload)} bytes"
            )
        hr_bpm = payload[pos]
        pos += 1

    contact_bits = (flags & FLAG_CONTACT_MASK) >> 1
    contact: bool | None
    if contact_bits == _CONTACT_DETECTED:
        contact = True
    elif contact_bits == _CONTACT_NOT_DETECTED:
        contact = False
    else:
        contact = None

    energy_kj: int | None = None
    if flags & FLAG_ENERGY_PRESENT:
        if len(payload) < pos + 2:
            raise HeartRateMeasurementError(
                f"truncated: flags say energy expended follows at byte {pos} "
                f"but payload has {len(payload)} bytes"
            )
        energy_kj = int.from_bytes(payload[pos : pos + 2], "little")
        pos += 2

    rest = payload[pos:]
    if flags & FLAG_RR_PRESENT:
        if len(rest) % 2:
            raise HeartRateMeasurementError(
                f"odd trailing byte: RR list starting at byte {pos} has {len(rest)} bytes, "
                f"expected a whole number of uint16 values"
            )
        rr_ticks = struct.unpack(f"<{len(rest) // 2}H", rest)
    else:
        if rest:
            raise HeartRateMeasurementError(
                f"{len(rest)} trailing bytes after byte {pos} but the RR-present flag is not set"
            )
        rr_ticks = ()

    return HeartRateMeasurement(
        hr_bpm=hr_bpm,
        contact=contact,
        energy_kj=energy_kj,
        rr_ticks=rr_ticks,
        reserved_flags=flags & FLAG_RESERVED_MASK,
    )


def _checked_uint(name: str, value: int, maximum: int) -> int:
    number = operator.index(value)  # TypeError for floats and other non-integers
    if not 0 <= number <= maximum:
        raise ValueError(f"{name} must be in 0..{maximum}, got {number}")
    return number


def encode_heart_rate_measurement(
    hr_bpm: int,
    *,
    contact: bool | None = None,
    energy_kj: int | None = None,
    rr_ticks: Sequence[int] = (),
    hr_uint16: bool | None = None,
    reserved_flags: int = 0,
) -> bytes:
    """Return the 0x2A37 payload bytes for the given fields.

    Parameters
    ----------
    hr_bpm : int
        Heart rate in bpm, 0..65535.
    contact : bool or None
        True for contact detected, False for supported but not detected, None for
        contact detection not supported (bits 1-2 = 0).
    energy_kj : int or None
        Energy expended in kJ, 0..65535, or None to leave the field out.
    rr_ticks : sequence of int
        RR intervals in 1/1024 s ticks, 0..65535 each, oldest first. When empty the
        RR-present flag is cleared.
    hr_uint16 : bool or None
        Force the HR format; None picks uint8 when `hr_bpm` <= 255, else uint16.
    reserved_flags : int
        Value for flag bits 5-7 (a multiple of 0x20 up to 0xE0); only for tests that
        need a sensor setting reserved flags.

    Returns
    -------
    bytes
        The payload, as a sensor would notify it.

    Raises
    ------
    ValueError
        If a value is out of range for its field, or `hr_uint16` is False while
        `hr_bpm` > 255.
    TypeError
        If a numeric value is not an integer.

    Examples
    --------
    >>> encode_heart_rate_measurement(32896).hex(" ")
    '01 80 80'
    """
    hr = _checked_uint("hr_bpm", hr_bpm, _UINT16_MAX)
    if hr_uint16 is None:
        hr_uint16 = hr > _UINT8_MAX
    elif not hr_uint16 and hr > _UINT8_MAX:
        raise ValueError(f"hr_bpm {hr} does not fit uint8; pass hr_uint16=True or None")
    reserved = operator.index(reserved_flags)
    if reserved & ~FLAG_RESERVED_MASK:
        raise ValueError(f"reserved_flags must only use bits 5-7 (mask 0xE0), got {reserved:#04x}")

    flags = reserved
    body = bytearray()
    if hr_uint16:
        flags |= FLAG_HR_UINT16
        body += hr.to_bytes(2, "little")
    else:
        body.append(hr)
    if contact is not None:
        flags |= (_CONTACT_DETECTED if contact else _CONTACT_NOT_DETECTED) << 1
    if energy_kj is not None:
        flags |= FLAG_ENERGY_PRESENT
        body += _checked_uint("energy_kj", energy_kj, _UINT16_MAX).to_bytes(2, "little")
    if len(rr_ticks):
        flags |= FLAG_RR_PRESENT
        for tick in rr_ticks:
            body += _checked_uint("rr_ticks value", tick, _UINT16_MAX).to_bytes(2, "little")
    return bytes((flags,)) + bytes(body)
