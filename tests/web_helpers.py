"""Shared helpers for the web page tests (tests/test_web_*.py); this module holds no tests.

CSRF stays on in these tests: every POST carries the token read from a rendered form, as a
browser's would."""
import re
from urllib.parse import urlsplit

from tests import factories as f

_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
#: The language switcher in every page's header sends the browser back to the page's own path.
_LANGUAGE_NEXT = re.compile(r'id="language-next" name="next" value="[^"]*"')
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def with_check_character(first17: str) -> str:
    """A valid GB 11643 citizen ID number: the first 17 characters plus the check character."""
    return first17 + "10X98765432"[sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True)) % 11]


def is_login_redirect(response) -> bool:
    return response.status_code == 302 and urlsplit(response.location).path == "/login"


def a_registrar(username: str = "wang"):
    """A registrar of a city's platform centre (what sign-in tests need: someone who may sign in)."""
    city = f.territory("210900", "city")
    centre = f.unit("C210900", "city", territory=city, kind="centre")
    return f.user(username, (centre, "registrar"))


def csrf_token(client, page: str = "/login") -> str:
    """The CSRF token from a form on `page` (for a signed-in user any page has the logout form)."""
    response = client.get(page)
    assert response.status_code == 200, (page, response.status_code)
    found = _TOKEN.search(response.get_data(as_text=True))
    assert found, f"no CSRF token on {page}"
    return found.group(1)


def login(client, username: str, password: str = f.PASSWORD, next_url: str | None = None):
    data = {"csrf_token": csrf_token(client, "/login"), "username": username, "password": password}
    if next_url is not None:
        data["next"] = next_url
    return client.post("/login", data=data)


def signed_in(client, username: str):
    """Sign `username` in (whoever was signed in before is signed out)."""
    with client.session_transaction() as session:
        session.clear()
    response = login(client, username)
    assert response.status_code == 302 and urlsplit(response.location).path == "/", response.status_code
    return client


def post_form(client, path: str, data: dict | None = None, page: str | None = None, **kwargs):
    """POST to `path` with the CSRF token of the form on `page` (default: the home page)."""
    return client.post(path, data={"csrf_token": csrf_token(client, page or "/"), **(data or {})}, **kwargs)


def without_tokens(html: str) -> str:
    """The page with what differs per request blanked: the CSRF token values, and the path the
    language switcher returns to (the requested URL, which the requester knows anyway)."""
    html = _LANGUAGE_NEXT.sub('id="language-next" name="next" value=""', html)
    return _TOKEN.sub('name="csrf_token" value=""', html)


def in_english(client):
    """Switch `client` to English, as the header's language switcher does (the CSRF token comes
    from the login page, which every visitor may see)."""
    response = client.post("/language", data={"csrf_token": csrf_token(client, "/login"), "lang": "en",
                                              "next": "/"})
    assert response.status_code == 303, response.status_code
    return client
