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
    payload = _payload_bytes(data)
    flags = payload[0]
    hr_bpm, pos = _read_hr(payload, flags)
    energy_kj, pos = _read_energy(payload, flags, pos)
    return HeartRateMeasurement(
        hr_bpm=hr_bpm,
        contact=_contact_from_flags(flags),
        energy_kj=energy_kj,
        rr_ticks=_read_rr(payload, flags, pos),
        reserved_flags=flags & FLAG_RESERVED_MASK,
    )


def _payload_bytes(data: bytes | bytearray | memoryview) -> bytes:
    """Return `data` as non-empty bytes, or raise the parser's documented errors."""
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
    return payload


def _read_hr(payload: bytes, flags: int) -> tuple[int, int]:
    """Return the heart rate in bpm and the offset of the field after it."""
    pos = 1
    width = 2 if flags & FLAG_HR_UINT16 else 1
    if len(payload) < pos + width:
        kind = "uint16" if width == 2 else "uint8"
        raise HeartRateMeasurementError(
            f"truncated: flags say {kind} HR but payload has {len(payload)} bytes"
        )
    return int.from_bytes(payload[pos : pos + width], "little"), pos + width


def _contact_from_flags(flags: int) -> bool | None:
    """Return True (contact), False (no contact) or None (not supported) from bits 1-2."""
    contact_bits = (flags & FLAG_CONTACT_MASK) >> 1
    if contact_bits == _CONTACT_DETECTED:
        return True
    if contact_bits == _CONTACT_NOT_DETECTED:
        return False
    return None


def _read_energy(payload: bytes, flags: int, pos: int) -> tuple[int | None, int]:
    """Return the energy expended in kJ (None if absent) and the offset after it."""
    if not flags & FLAG_ENERGY_PRESENT:
        return None, pos
    if len(payload) < pos + 2:
        raise HeartRateMeasurementError(
            f"truncated: flags say energy expended follows at byte {pos} "
            f"but payload has {len(payload)} bytes"
        )
    return int.from_bytes(payload[pos : pos + 2], "little"), pos + 2


def _read_rr(payload: bytes, flags: int, pos: int) -> tuple[int, ...]:
    """Return the RR intervals in 1/1024 s ticks from `pos` to the end of the payload."""
    rest = payload[pos:]
    if not flags & FLAG_RR_PRESENT:
        if rest:
            raise HeartRateMeasurementError(
                f"{len(rest)} trailing bytes after byte {pos} but the RR-present flag is not set"
            )
        return ()
    if len(rest) % 2:
        raise HeartRateMeasurementError(
            f"odd trailing byte: RR list starting at byte {pos} has {len(rest)} bytes, "
            f"expected a whole number of uint16 values"
        )
    return struct.unpack(f"<{len(rest) // 2}H", rest)


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
    hr_uint16 = _hr_is_uint16(hr, hr_uint16)
    flags = _checked_reserved_flags(reserved_flags) | (FLAG_HR_UINT16 if hr_uint16 else 0)
    body = bytearray(hr.to_bytes(2 if hr_uint16 else 1, "little"))
    if contact is not None:
        flags |= (_CONTACT_DETECTED if contact else _CONTACT_NOT_DETECTED) << 1
    if energy_kj is not None:
        flags |= FLAG_ENERGY_PRESENT
        body += _uint16_le("energy_kj", energy_kj)
    if len(rr_ticks):
        flags |= FLAG_RR_PRESENT
        body += b"".join(_uint16_le("rr_ticks value", tick) for tick in rr_ticks)
    return bytes((flags,)) + bytes(body)


def _hr_is_uint16(hr_bpm: int, hr_uint16: bool | None) -> bool:
    """Return whether the HR field is uint16: as forced, else only when uint8 cannot hold it."""
    if hr_uint16 is None:
        return hr_bpm > _UINT8_MAX
    if not hr_uint16 and hr_bpm > _UINT8_MAX:
        raise ValueError(f"hr_bpm {hr_bpm} does not fit uint8; pass hr_uint16=True or None")
    return hr_uint16


def _uint16_le(name: str, value: int) -> bytes:
    """Return `value` as two little-endian bytes after checking it fits uint16."""
    return _checked_uint(name, value, _UINT16_MAX).to_bytes(2, "little")


def _checked_reserved_flags(reserved_flags: int) -> int:
    """Return `reserved_flags` if it only uses flag bits 5-7, else raise ValueError."""
    reserved = operator.index(reserved_flags)
    if reserved & ~FLAG_RESERVED_MASK:
        raise ValueError(f"reserved_flags must only use bits 5-7 (mask 0xE0), got {reserved:#04x}")
    return reserved
