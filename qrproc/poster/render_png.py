"""Draw a single card (`layout.share_card`) as a PNG with Pillow, for sharing online.

The QR code is drawn with a whole number of pixels per module (`qr_placement`), so it stays crisp
and can be checked module by module. Text is placed
glyph by glyph at the advances the layout measured with, so a line is exactly as wide as the
layout says and never leaves its box.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from qrproc.poster.files import write_atomically

from qrproc.errors import QrprocError
from qrproc.i18n import _
from qrproc.poster.layout import PT, Page, QrArea
from qrproc.poster.payload import Encoder, QrSymbol, default_encoder
from qrproc.poster.fonts import Fonts, default_fonts

DPI = 300


@lru_cache(maxsize=64)
def _pil_font(path: str, px: float):
    from PIL import ImageFont

    return ImageFont.truetype(path, px, layout_engine=ImageFont.Layout.BASIC)


def qr_placement(area: QrArea, symbol: QrSymbol, px_per_mm: float) -> tuple[int, int, int]:
    """(x, y, module) in pixels of the symbol's top-left corner and its module: the largest whole
    number of pixels per module that fits the area with the quiet zone, the symbol centred."""
    total = symbol.size + 2 * area.quiet
    box_px = int(area.box.w * px_per_mm)
    module = box_px // total
    if module < 1 or module / px_per_mm < area.min_module - 1e-9:
        raise QrprocError(_("{code}: QR version {version} does not fit its {width} mm area at "
                            "{module} mm per module").format(
            code=area.code, version=symbol.version, width=f"{area.box.w:.1f}",
            module=area.min_module))
    side = symbol.size * module
    x = round(area.box.x * px_per_mm + (box_px - side) / 2)
    y = round(area.box.y * px_per_mm + (box_px - side) / 2)
    return x, y, module


def _draw_qr(image, area: QrArea, symbol: QrSymbol, px_per_mm: float) -> None:
    import numpy as np
    from PIL import Image

    x, y, module = qr_placement(area, symbol, px_per_mm)
    pixels = np.kron(~symbol.dark, np.ones((module, module), dtype=bool)).astype(np.uint8) * 255
    image.paste(Image.fromarray(pixels, mode="L").convert("RGB"), (x, y))


def render_card(page: Page, *, width: float, height: float, fonts: Fonts | None = None,
                encoder: Encoder = default_encoder, dpi: int = DPI):
    """The page (in mm) as an RGB Pillow image at `dpi`."""
    from PIL import Image, ImageDraw

    fonts = fonts or default_fonts()
    s = dpi / 25.4
    image = Image.new("RGB", (round(width * s), round(height * s)), "white")
    draw = ImageDraw.Draw(image)
    for r in page.rects:
        b = r.box
        xy = (b.x * s, b.y * s, b.right * s, b.bottom * s)
        fill = None if r.fill is None else (round(r.fill * 255),) * 3
        outline = None if r.stroke is None else (round(r.stroke * 255),) * 3
        draw.rectangle(xy, fill=fill, outline=outline, width=max(1, round(r.line_width * s)))
    for t in page.texts:
        face = fonts.faces[t.bold]
        px = t.size * PT * s
        font = _pil_font(str(face.path), px)
        x, baseline = t.x * s, t.baseline * s
        for ch in t.text:
            if not ch.isspace():
                draw.text((x, baseline), ch, font=font, fill="black", anchor="ls")
            x += face.width(ch) * px
    for area in page.qrs:
        _draw_qr(image, area, encoder(area.code, area.payload, area.ec), s)
    return image


def save_png(image, path: str | Path, *, dpi: int = DPI) -> Path:
    """Write atomically (a temporary file with an unpredictable name in the same folder, then a
    rename)."""
    return write_atomically(Path(path), lambda tmp: image.save(tmp, format="PNG", dpi=(dpi, dpi),
                                                                optimize=True))
