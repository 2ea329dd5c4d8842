"""The page header: the bell is an inline SVG with its name and unread count (no emoji font
needed), and every page links the favicon, which /favicon.ico serves too."""
from app.extensions import db
from app.notifications.models import Notification
from tests.web_helpers import a_registrar, signed_in


def test_the_bell_is_an_svg_icon_named_in_words_with_the_unread_count(app, client):
    wang = a_registrar()
    db.session.add_all([Notification(user_id=wang.id, kind="reminder", text=f"催办 {i}") for i in range(2)])
    db.session.commit()
    html = signed_in(client, "wang").get("/").get_data(as_text=True)
    bell = html.split('id="bell"')[1].split("</a>")[0]
    assert "🔔" not in html
    assert '<svg class="bell-icon" aria-hidden="true"' in bell
    assert "通知" in bell and 'id="unread-count">2<' in bell and "未读" in bell
    assert "has-unread" in html.split('id="bell"')[0].rsplit("<a", 1)[1]


def test_every_page_links_the_favicon_and_favicon_ico_is_served_without_sign_in(app, client):
    login_page = client.get("/login").get_data(as_text=True)
    icons = [f"/static/icons/{name}" for name in ("favicon.svg", "favicon-32.png", "apple-touch-icon.png")]
    for href in icons:
        assert f'href="{href}"' in login_page
        assert client.get(href).status_code == 200, href
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.mimetype == "image/vnd.microsoft.icon"
    assert icon.data[:4] == b"\x00\x00\x01\x00"  # an ICO header
    assert client.get("/static/icons/favicon.svg").data.startswith(b"<svg")
