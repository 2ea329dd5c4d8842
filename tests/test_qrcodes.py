"""QR codes per territory node (R4 "码上反映"): administrators download a PNG or SVG, or print a
poster, that leads to the public submit page `/report?territory=<code>`.

segno cannot read QR codes, so the PNG is decoded here (it is a 1-bit greyscale image) into its
module matrix and compared with the matrix segno builds for the expected URL at error level M."""
import re
import struct
import zlib
from xml.etree import ElementTree

import pytest
import segno

from app.config import load_config
from app.organisation import qrcodes
from tests import factories as f
from tests.web_helpers import signed_in

CODE = "210902001"
LOCAL_URL = f"http://localhost/report?territory={CODE}"
PATHS = (f"/admin/territories/{CODE}/qr.png", f"/admin/territories/{CODE}/qr.svg",
         f"/admin/territories/{CODE}/poster")


@pytest.fixture
def people(app):
    city = f.territory("210900", "city", name="Fuxin")
    county = f.territory("210902", "county", city, name="Haizhou")
    f.territory(CODE, "township", county, name="Heping Street")
    centre = f.unit("C210900", "city", territory=city, kind="centre")
    f.user("admin", (centre, "administrator"))
    f.user("clerk", (centre, "registrar"))


def png_chunks(data: bytes) -> dict[bytes, bytes]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    chunks, at = {}, 8
    while at < len(data):
        (length,), kind = struct.unpack(">I", data[at:at + 4]), data[at + 4:at + 8]
        body = data[at + 8:at + 8 + length]
        assert struct.unpack(">I", data[at + 8 + length:at + 12 + length])[0] == zlib.crc32(kind + body)
        chunks[kind] = chunks.get(kind, b"") + body
        at += 12 + length
    return chunks


def png_modules(data: bytes, scale: int, border: int) -> list[list[bool]]:
    """The dark (True) and light modules of a 1-bit greyscale PNG of a QR code."""
    chunks = png_chunks(data)
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", chunks[b"IHDR"])
    assert (depth, colour, interlace) == (1, 0, 0) and width == height
    stride = (width + 7) // 8
    raw, rows, previous = zlib.decompress(chunks[b"IDAT"]), [], bytes(stride)
    for y in range(height):
        line = raw[y * (stride + 1):(y + 1) * (stride + 1)]
        kind, pixels = line[0], line[1:]
        assert kind in (0, 2), f"PNG filter {kind} is not decoded here"
        if kind == 2:  # "Up": each byte adds the byte above
            pixels = bytes((a + b) & 0xFF for a, b in zip(pixels, previous, strict=True))
        rows.append(pixels)
        previous = pixels
    size = width // scale
    assert size * scale == width

    def dark(x: int, y: int) -> bool:  # sample the centre of the module; 0 bits are black
        px, py = x * scale + scale // 2, y * scale + scale // 2
        return not rows[py][px // 8] >> (7 - px % 8) & 1

    border_ok = all(not dark(x, y) for y in range(size) for x in range(size)
                    if min(x, y) < border or max(x, y) >= size - border)
    assert border_ok, "the quiet zone is not blank"
    return [[dark(x, y) for x in range(border, size - border)] for y in range(border, size - border)]


def svg_modules(svg: ElementTree.Element, border: int) -> list[list[bool]]:
    """The dark modules drawn by segno's SVG path: "M x y" starts, "h n" draws n modules to the
    right, "m dx dy" moves; a module's row is its y rounded down (lines run at y + 0.5)."""
    path = svg.find(".//{http://www.w3.org/2000/svg}path[@class='qrline']")
    dark, x, y = set(), 0.0, 0.0
    for command, numbers in re.findall(r"([MmHh])([-\d. ]+)", path.get("d")):
        values = [float(n) for n in numbers.split()]
        if command == "M":
            x, y = values
        elif command == "m":
            x, y = x + values[0], y + values[1]
        else:
            dark |= {(int(x) + i, int(y)) for i in range(int(values[0]))}
            x += values[0]
    end = max(max(c, r) for c, r in dark) + 1  # the finders reach the last row and column
    assert min(min(c, r) for c, r in dark) == border, "the quiet zone is missing"
    return [[(c, r) in dark for c in range(border, end)] for r in range(border, end)]


def expected_modules(url: str) -> list[list[bool]]:
    code = segno.make(url, error="m", micro=False, boost_error=False)
    assert code.error == "M"
    return [[bool(bit) for bit in row] for row in code.matrix]


def test_an_administrator_downloads_the_png_of_a_territory(client, people):
    signed_in(client, "admin")
    response = client.get(f"/admin/territories/{CODE}/qr.png")
    assert response.status_code == 200 and response.mimetype == "image/png"
    assert response.headers["Content-Disposition"] == f'attachment; filename="huiyin-{CODE}.png"'
    data = response.get_data()
    width, height = struct.unpack(">II", png_chunks(data)[b"IHDR"][:8])
    code = segno.make(LOCAL_URL, error="m", micro=False, boost_error=False)
    assert width == height == code.symbol_size(scale=qrcodes.PNG_SCALE, border=qrcodes.QUIET_ZONE)[0]
    assert png_modules(data, qrcodes.PNG_SCALE, qrcodes.QUIET_ZONE) == expected_modules(LOCAL_URL)
    assert data == qrcodes.qr_png(LOCAL_URL)


def test_an_administrator_downloads_the_svg_of_a_territory(client, people):
    signed_in(client, "admin")
    response = client.get(f"/admin/territories/{CODE}/qr.svg")
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    assert response.headers["Content-Disposition"] == f'attachment; filename="huiyin-{CODE}.svg"'
    svg = ElementTree.fromstring(response.get_data())
    assert svg.tag == "{http://www.w3.org/2000/svg}svg"
    title = svg.find("{http://www.w3.org/2000/svg}title").text
    assert "Heping Street" in title and LOCAL_URL in title
    assert svg_modules(svg, qrcodes.QUIET_ZONE) == expected_modules(LOCAL_URL)
    reference = segno.make(LOCAL_URL, error="m", micro=False, boost_error=False)
    assert svg.get("width") == str(reference.symbol_size(scale=qrcodes.SVG_SCALE,
                                                           border=qrcodes.QUIET_ZONE)[0])


def test_the_code_leads_to_the_public_base_url_when_one_is_set(app, client, people):
    app.config["PUBLIC_BASE_URL"] = "https://huiyin.example.gov.cn/citizens/"
    public = f"https://huiyin.example.gov.cn/citizens/report?territory={CODE}"
    signed_in(client, "admin")
    png = client.get(f"/admin/territories/{CODE}/qr.png").get_data()
    assert png_modules(png, qrcodes.PNG_SCALE, qrcodes.QUIET_ZONE) == expected_modules(public)
    svg = ElementTree.fromstring(client.get(f"/admin/territories/{CODE}/qr.svg").get_data())
    assert svg_modules(svg, qrcodes.QUIET_ZONE) == expected_modules(public)
    poster = client.get(f"/admin/territories/{CODE}/poster").get_data(as_text=True)
    assert public in poster and "localhost" not in poster


def test_public_base_url_is_read_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("SECRET_KEY", "x")
    monkeypatch.setenv("PII_KEY", "y")
    monkeypatch.delenv("PUBLIC_BASE_URL", raising=False)
    assert load_config(tmp_path)["PUBLIC_BASE_URL"] is None
    monkeypatch.setenv("PUBLIC_BASE_URL", "")
    assert load_config(tmp_path)["PUBLIC_BASE_URL"] is None
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://huiyin.example.gov.cn")
    assert load_config(tmp_path)["PUBLIC_BASE_URL"] == "https://huiyin.example.gov.cn"


@pytest.mark.parametrize("base", ["https://h.example/", "https://h.example"])
def test_report_url_joins_the_base_and_the_code(app, base):
    territory = f.territory("g-7.b_2", "grid")
    assert qrcodes.report_url(territory, base) == "https://h.example/report?territory=g-7.b_2"


def test_the_poster_shows_the_name_the_code_and_the_address(client, people):
    signed_in(client, "admin")
    response = client.get(f"/admin/territories/{CODE}/poster")
    assert response.status_code == 200 and response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert re.findall(r"<h1>(.*?)</h1>", html) == ["Heping Street"]
    image = re.search(r"<img\b[^>]*>", html).group(0)
    assert f'src="/admin/territories/{CODE}/qr.png"' in image
    alt = re.search(r'alt="([^"]+)"', image).group(1)
    assert "Heping Street" in alt
    assert f'<a href="{LOCAL_URL}">{LOCAL_URL}</a>' in html


def test_the_territory_list_links_to_the_codes_and_posters(client, people):
    signed_in(client, "admin")
    html = client.get("/admin/territories").get_data(as_text=True)
    for code in ("210900", "210902", CODE):
        for path in ("qr.png", "qr.svg", "poster"):
            assert f'href="/admin/territories/{code}/{path}"' in html, (code, path)


def test_an_unknown_territory_is_404(client, people):
    signed_in(client, "admin")
    for path in PATHS:
        assert client.get(path.replace(CODE, "999999")).status_code == 404, path


def test_non_administrators_get_403_and_visitors_the_login_page(client, people):
    for path in PATHS:
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.location, path
    signed_in(client, "clerk")
    for path in PATHS:
        assert client.get(path).status_code == 403, path
