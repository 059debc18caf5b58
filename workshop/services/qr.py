"""QR codes as inline SVG (the qrcode library's path renderer): sharp at any size."""

from __future__ import annotations

import re
from functools import lru_cache

import qrcode
import qrcode.image.svg
from markupsafe import escape


@lru_cache(maxsize=256)
def qr_svg(data: str, *, title: str = "") -> str:
    """An <svg> element encoding ``data``, sized by its container (viewBox only)."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=2,
                         image_factory=qrcode.image.svg.SvgPathFillImage)
    code.add_data(data)
    code.make(fit=True)
    svg = code.make_image().to_string(encoding="unicode")
    # Let CSS size it; keep the square viewBox; name it for screen readers.
    head, _, rest = svg.partition(">")
    head = re.sub(r'\s(width|height)="[^"]*"', "", head)
    label = f' role="img" aria-label="{escape(title)}"' if title else ' aria-hidden="true"'
    return f'{head} class="qr"{label} shape-rendering="crispEdges">{rest}'

