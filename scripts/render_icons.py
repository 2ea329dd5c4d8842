"""Render app/static/icons/favicon.svg into the PNG fallbacks and favicon.ico (PNG-in-ICO,
16/32/48 px) with Debian's Chromium: `.venv/bin/python scripts/render_icons.py` after editing
the SVG. Commit the outputs."""
import base64
import struct
from pathlib import Path

from playwright.sync_api import sync_playwright

icons = Path(__file__).resolve().parent.parent / "app" / "static" / "icons"
svg = (icons / "favicon.svg").read_text()
pngs = {}
with sync_playwright() as p:
    browser = p.chromium.launch(executable_path="/usr/bin/chromium")
    for size in (16, 32, 48, 180):
        page = browser.new_page(viewport={"width": size, "height": size})
        page.set_content(f'<html><body style="margin:0;background:transparent">'
                         f'<img src="data:image/svg+xml;base64,{base64.b64encode(svg.encode()).decode()}" '
                         f'width="{size}" height="{size}" style="display:block"></body></html>')
        box = {"x": 0, "y": 0, "width": size, "height": size}
        pngs[size] = page.screenshot(omit_background=True, clip=box)
        page.close()
    browser.close()
(icons / "favicon-32.png").write_bytes(pngs[32])
(icons / "apple-touch-icon.png").write_bytes(pngs[180])
sizes = (16, 32, 48)
header = struct.pack("<HHH", 0, 1, len(sizes))
offset = 6 + 16 * len(sizes)
entries, data = b"", b""
for size in sizes:
    blob = pngs[size]
    entries += struct.pack("<BBBBHHII", size, size, 0, 0, 1, 32, len(blob), offset + len(data))
    data += blob
(icons / "favicon.ico").write_bytes(header + entries + data)
print("wrote", ", ".join(f"{size}px" for size in pngs))
