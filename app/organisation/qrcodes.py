"""QR codes per territory node (R4 "码上反映"): a poster in a building leads the citizen to the public
submit page with that territory fixed, `<public base URL>/report?territory=<code>`."""
import io
from urllib.parse import urlencode

import segno

from app.organisation.models import Territory

ERROR_CORRECTION = "m"  # about 15 % of the code may be dirty or torn and it still scans
QUIET_ZONE = 4  # modules of blank margin all round, the size the QR standard asks for
PNG_SCALE = 8  # pixels per module: a version 3 code is (29 + 2 * 4) * 8 = 296 px wide
SVG_SCALE = 8


def report_url(territory: Territory, base_url: str) -> str:
    """The public submit page for `territory`; `base_url` may end in "/" and may carry a path prefix."""
    return f"{base_url.rstrip('/')}/report?{urlencode({'territory': territory.code})}"


def _code(url: str) -> segno.QRCode:
    return segno.make(url, error=ERROR_CORRECTION, micro=False, boost_error=False)


def qr_png(url: str) -> bytes:
    """The QR code of `url` as a black-on-white PNG."""
    out = io.BytesIO()
    _code(url).save(out, kind="png", scale=PNG_SCALE, border=QUIET_ZONE)
    return out.getvalue()


def qr_svg(url: str, title: str | None = None) -> bytes:
    """The QR code of `url` as a black-on-white SVG whose <title> is `title` (default: the URL)."""
    out = io.BytesIO()
    _code(url).save(out, kind="svg", scale=SVG_SCALE, border=QUIET_ZONE, light="white",
                    title=title or url, encoding="utf-8")
    return out.getvalue()
