"""Acquisition: BLE straps, GATT payload parsers, simulated straps and beat timing.

Only light, dependency-free names are exported here; modules that need bleak or other
heavy packages are imported from their own submodules where they are used.
"""

from coregulate.acquisition.hrm import (
    HeartRateMeasurement,
    HeartRateMeasurementError,
    encode_heart_rate_measurement,
    parse_heart_rate_measurement,
)

__all__ = [
    "HeartRateMeasurement",
    "HeartRateMeasurementError",
    "encode_heart_rate_measurement",
    "parse_heart_rate_measurement",
]
