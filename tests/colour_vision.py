"""Colour-vision simulation and colour difference, for the palette's tests.

Small and dependency-free on purpose (the palette tests need three matrices and one
formula, not a colour-science library):

- sRGB (IEC 61966-2-1:1999) to CIE XYZ (D65) to CIELAB (CIE 15:2004).
- Dichromacy simulation: Machado, Oliveira & Fernandes (2009), "A physiologically-based
  model for simulation of color vision deficiency", IEEE TVCG 15(6):1291-1298, the
  severity-1.0 matrices of their supplementary table, applied to linear sRGB (as
  colorspacious and DaltonLens apply them).
- CIEDE2000: Sharma, Wu & Dalal (2005), "The CIEDE2000 color-difference formula:
  implementation notes, supplementary test data, and mathematical observations",
  Color Res. Appl. 30(1):21-30; tests/test_palette.py checks it against their test pairs.
"""

from __future__ import annotations

import math

import numpy as np

from coregulate.palette import linear_rgb

# Machado et al. (2009), supplementary table, severity 1.0 (dichromacy); rows give
# the simulated linear R, G, B from the original linear R, G, B.
MACHADO_2009: dict[str, np.ndarray] = {
    "protanopia": np.array(
        [
            [0.152286, 1.052583, -0.204868],
            [0.114503, 0.786281, 0.099216],
            [-0.003882, -0.048116, 1.051998],
        ]
    ),
    "deuteranopia": np.array(
        [
            [0.367322, 0.860646, -0.227968],
            [0.280085, 0.672501, 0.047413],
            [-0.011820, 0.042940, 0.968881],
        ]
    ),
    "tritanopia": np.array(
        [
            [1.255528, -0.076749, -0.178779],
            [-0.078411, 0.930809, 0.147602],
            [0.004733, 0.691367, 0.303900],
        ]
    ),
}
VISIONS = ("normal", *MACHADO_2009)

# IEC 61966-2-1 linear sRGB -> XYZ (D65), and the D65 white point (CIE 15:2004).
_RGB_TO_XYZ = np.array(
    [
        [0.4124564, 0.3575761, 0.1804375],
        [0.2126729, 0.7151522, 0.0721750],
        [0.0193339, 0.1191920, 0.9503041],
    ]
)
_WHITE_D65 = np.array([0.95047, 1.0, 1.08883])


def simulate(colour: str, vision: str) -> np.ndarray:
    """Return the linear sRGB `colour` as a reader with `vision` sees it (clipped to 0-1)."""
    rgb = np.array(linear_rgb(colour))
    if vision == "normal":
        return rgb
    return np.clip(MACHADO_2009[vision] @ rgb, 0.0, 1.0)


def lab(linear: np.ndarray) -> tuple[float, float, float]:
    """Return CIELAB (D65) of a linear sRGB triple."""
    xyz = _RGB_TO_XYZ @ linear / _WHITE_D65
    eps, kappa = 216 / 24389, 24389 / 27
    f = np.where(xyz > eps, np.cbrt(xyz), (kappa * xyz + 16) / 116)
    return 116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])


def lab_of(colour: str, vision: str = "normal") -> tuple[float, float, float]:
    """Return CIELAB of a "#RRGGBB" colour as seen with `vision`."""
    return lab(simulate(colour, vision))


def ciede2000(lab1: tuple[float, float, float], lab2: tuple[float, float, float]) -> float:
    """Return the CIEDE2000 difference of two CIELAB colours (kL = kC = kH = 1)."""
    l1, a1, b1 = lab1
    l2, a2, b2 = lab2
    c_bar = (math.hypot(a1, b1) + math.hypot(a2, b2)) / 2
    g = 0.5 * (1 - math.sqrt(c_bar**7 / (c_bar**7 + 25**7)))
    a1p, a2p = (1 + g) * a1, (1 + g) * a2
    c1p, c2p = math.hypot(a1p, b1), math.hypot(a2p, b2)
    h1p = math.degrees(math.atan2(b1, a1p)) % 360 if c1p else 0.0
    h2p = math.degrees(math.atan2(b2, a2p)) % 360 if c2p else 0.0
    dl, dc = l2 - l1, c2p - c1p
    if c1p * c2p == 0:
        dh = 0.0
    elif abs(h2p - h1p) <= 180:
        dh = h2p - h1p
    else:
        dh = h2p - h1p - 360 if h2p > h1p else h2p - h1p + 360
    d_hh = 2 * math.sqrt(c1p * c2p) * math.sin(math.radians(dh / 2))
    l_bar, c_bar_p = (l1 + l2) / 2, (c1p + c2p) / 2
    if c1p * c2p == 0:
        h_bar = h1p + h2p
    elif abs(h1p - h2p) <= 180:
        h_bar = (h1p + h2p) / 2
    else:
        h_bar = (h1p + h2p + 360) / 2 if h1p + h2p < 360 else (h1p + h2p - 360) / 2
    t = (
        1
        - 0.17 * math.cos(math.radians(h_bar - 30))
        + 0.24 * math.cos(math.radians(2 * h_bar))
        + 0.32 * math.cos(math.radians(3 * h_bar + 6))
        - 0.20 * math.cos(math.radians(4 * h_bar - 63))
    )
    d_theta = 30 * math.exp(-(((h_bar - 275) / 25) ** 2))
    r_c = 2 * math.sqrt(c_bar_p**7 / (c_bar_p**7 + 25**7))
    s_l = 1 + 0.015 * (l_bar - 50) ** 2 / math.sqrt(20 + (l_bar - 50) ** 2)
    s_c = 1 + 0.045 * c_bar_p
    s_h = 1 + 0.015 * c_bar_p * t
    r_t = -math.sin(math.radians(2 * d_theta)) * r_c
    return math.sqrt(
        (dl / s_l) ** 2 + (dc / s_c) ** 2 + (d_hh / s_h) ** 2 + r_t * (dc / s_c) * (d_hh / s_h)
    )


def difference(colour1: str, colour2: str, vision: str = "normal") -> float:
    """Return CIEDE2000 between two "#RRGGBB" colours as a reader with `vision` sees them."""
    return ciede2000(lab_of(colour1, vision), lab_of(colour2, vision))
