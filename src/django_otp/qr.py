"""QR codes as SVG, drawn by segno (no Pillow)."""

from __future__ import annotations

from typing import IO

import segno


def write_qrcode_image(data: str, out: IO) -> None:
    """Write ``data`` as an SVG QR code to the binary file-like ``out``."""
    segno.make(data, error="m", micro=False).save(out, kind="svg", scale=4, border=4,
                                                   xmldecl=False, svgns=True, title=None)


def qrcode_svg(data: str) -> str:
    """``data`` as an SVG QR code, as text."""
    return segno.make(data, error="m", micro=False).svg_inline(scale=4, border=4)
