"""QR codes as SVG, drawn by segno (no Pillow).

segno scores all eight masks and keeps the best, which is about 80 % of the time a code takes.
A fixed mask would make codes four times faster, and the standard allows it, but when 1,500
``otpauth://`` URLs were drawn both ways and read back with zxing-cpp (as
``tests/django_otp/test_qr.py`` does for 300), the fixed mask made three unreadable that the best
mask kept readable: a code the user cannot scan costs more than milliseconds.
"""

from __future__ import annotations

from typing import IO

import segno


def make(data: str) -> segno.QRCode:
    return segno.make(data, error="m", micro=False)


def write_qrcode_image(data: str, out: IO) -> None:
    """Write ``data`` as an SVG QR code to the binary file-like ``out``."""
    make(data).save(out, kind="svg", scale=4, border=4, xmldecl=False, svgns=True, title=None)


def qrcode_svg(data: str) -> str:
    """``data`` as an SVG QR code, as text."""
    return make(data).svg_inline(scale=4, border=4)
