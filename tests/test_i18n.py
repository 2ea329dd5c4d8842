"""Translations of the staff pages (app/i18n.py): Chinese by default, English by Accept-Language or
by the header's language switcher (POST /language, CSRF-protected, kept in the session), and a
catalog that is complete: every marked string is extracted, translated into Chinese and compiled.
The JSON API is not translated."""
import ast
import io
import re
from datetime import timedelta
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po

from app.clock import utcnow
from app.extensions import db
from app.notifications.models import Notification
from tests import factories as f
from tests.web_helpers import csrf_token, in_english, login, post_form, signed_in

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "app" / "translations"
POT = TRANSLATIONS / "messages.pot"
LOCALES = ("zh_CN", "en")
#: Chinese and full-width punctuation: what must no longer be written inline in pages and views
CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]+")
#: The one Chinese text allowed inline: the switcher names each language in that language.
INLINE_ALLOWED = {"base.html": {"中文"}}
FIX = ("see docs/architecture.md, Translations: PYTHONPATH=. pybabel extract -F babel.cfg "
       "--add-location=file "
       "--sort-output -o app/translations/messages.pot . && pybabel update -i app/translations/messages.pot "
       "-d app/translations --ignore-obsolete, translate app/translations/zh_CN/LC_MESSAGES/messages.po, "
       "then pybabel compile -d app/translations")


@pytest.fixture
def staff(app):
    city = f.territory("210900", "city")
    centre = f.unit("C210900", "city", territory=city, kind="centre")
    return f.user("wang", (centre, "registrar"), (centre, "administrator"))


def html_of(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def choose(client, lang: str, next_url: str = "/login", token: str | None = None, page: str = "/login"):
    data = {"lang": lang, "next": next_url}
    data["csrf_token"] = token if token is not None else csrf_token(client, page)
    return client.post("/language", data=data)


# --- choosing the locale -------------------------------------------------------------------------

def test_pages_are_chinese_by_default(client, staff):
    html = html_of(client.get("/login"))
    assert '<html lang="zh-CN">' in html
    assert "<h1>登录</h1>" in html and "用户名" in html and "回音" in html
    assert "Sign in" not in html and "Username" not in html  # one language, no English twin
    # the switcher: a labelled form with both languages, Chinese pressed
    assert 'aria-label="语言"' in html and 'action="/language"' in html
    assert re.search(r'value="zh_CN" lang="zh-CN"\s+aria-pressed="true">中文<', html)
    assert re.search(r'value="en" lang="en"\s+aria-pressed="false">English<', html)


@pytest.mark.parametrize(("accept", "lang"), [
    ("en", "en"), ("en-US,en;q=0.9", "en"), ("en-GB;q=0.8, fr;q=0.9", "en"),
    ("zh-CN,zh;q=0.9,en;q=0.8", "zh-CN"), ("zh-TW", "zh-CN"), ("fr, de", "zh-CN"), ("", "zh-CN"),
])
def test_accept_language_picks_the_best_supported_locale(client, staff, accept, lang):
    html = html_of(client.get("/login", headers={"Accept-Language": accept}))
    assert f'<html lang="{lang}">' in html
    assert ("<h1>Sign in</h1>" in html) is (lang == "en")
    assert ("<h1>登录</h1>" in html) is (lang == "zh-CN")


def test_signed_in_pages_flash_messages_and_errors_are_english_in_english(client, staff):
    signed_in(client, "wang")
    english = {"Accept-Language": "en"}
    home = html_of(client.get("/", headers=english))
    assert "Hello, Wang" in home and "My open tasks" in home and "Registrar" in home  # a role by its name
    assert set(CJK.findall(home)) == {"中文"}  # only the switcher's name of the other language
    # a flash message is translated when it is made (it travels in the session cookie)
    db.session.add(Notification(user_id=staff.id, kind="task", text="note",
                                created_at=utcnow() - timedelta(hours=1)))
    db.session.commit()
    client.post("/notifications/read-all", headers=english,
                data={"csrf_token": csrf_token(client, "/notifications")})
    assert "1 notification marked as read." in html_of(client.get("/notifications", headers=english))
    # error pages and labels from Python code
    missing = client.get("/no-such-page", headers=english)
    assert missing.status_code == 404 and "Not found" in missing.get_data(as_text=True)
    assert "未找到" not in missing.get_data(as_text=True)
    limits = html_of(client.get("/admin/time-limits", headers=english))
    assert "Working days" in limits and "工作日" not in limits
    # and the same pages in Chinese
    assert "未找到" in client.get("/no-such-page").get_data(as_text=True)
    assert "工作日" in html_of(client.get("/admin/time-limits"))


def test_the_api_is_not_translated(client, staff):
    response = client.get("/api/v1/cases", headers={"Accept-Language": "zh-CN"})
    assert response.status_code == 401 and response.json["code"] == "unauthorized"
    assert not CJK.search(response.get_data(as_text=True))


# --- the switcher ----------------------------------------------------------------------------------

def test_the_switcher_stores_the_choice_in_the_session_and_returns_to_the_page(client, staff):
    response = choose(client, "en", next_url="/login?next=%2Fcases")
    assert response.status_code == 303 and response.location == "/login?next=%2Fcases"
    with client.session_transaction() as session:
        assert session["lang"] == "en"
    # the explicit choice wins over the browser's Accept-Language
    html = html_of(client.get("/login", headers={"Accept-Language": "zh-CN"}))
    assert '<html lang="en">' in html and "<h1>Sign in</h1>" in html
    assert re.search(r'value="en" lang="en"\s+aria-pressed="true"', html)
    back = choose(client, "zh_CN")
    assert back.status_code == 303
    assert "<h1>登录</h1>" in html_of(client.get("/login", headers={"Accept-Language": "en"}))


def test_the_choice_survives_login_and_logout(client, staff):
    in_english(client)
    assert login(client, "wang").status_code == 302
    assert "Hello, Wang" in html_of(client.get("/"))
    with client.session_transaction() as session:
        assert session["lang"] == "en" and "sid" in session
    post_form(client, "/logout")
    with client.session_transaction() as session:
        assert session.get("lang") == "en" and "sid" not in session
    # and a signed-in user switches back from any page
    signed_in(client, "wang")
    assert choose(client, "zh_CN", next_url="/admin", page="/").location == "/admin"
    assert "您好" in html_of(client.get("/"))


def test_the_switcher_returns_to_pages_a_get_can_show_again(client, app):
    page = html_of(client.get("/login?next=/cases"))
    assert 'id="language-next" name="next" value="/login?next=/cases"' in page
    refused = login(client, "wang", "wrong password")  # a POST to an address that has a GET too
    assert 'id="language-next" name="next" value="/login"' in html_of(refused)
    county = f.county_with_two_townships(requester_phone="13812345678")
    signed_in(client, "registrar")
    number = county["210902001"].number
    revealed = post_form(client, f"/cases/{number}/personal-data")  # POST only: no way back but home
    assert "13812345678" in html_of(revealed) and 'id="language-next"' not in html_of(revealed)


@pytest.mark.parametrize("lang", ["fr", "", "zh-CN", "zh_Hans_CN", "EN", "en\n"])
def test_unsupported_locales_are_refused(client, staff, lang):
    refused = choose(client, lang)
    assert refused.status_code == 400 and refused.mimetype == "text/html"
    with client.session_transaction() as session:
        assert "lang" not in session


def test_the_switcher_requires_the_csrf_token(client, staff):
    missing = client.post("/language", data={"lang": "en", "next": "/login"})
    forged = choose(client, "en", token="forged")
    assert missing.status_code == forged.status_code == 400
    with client.session_transaction() as session:
        assert "lang" not in session
    assert '<html lang="zh-CN">' in html_of(client.get("/login"))


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil.example", "", None])
def test_the_switcher_never_redirects_off_site(client, staff, target):
    data = {"csrf_token": csrf_token(client), "lang": "en"}
    if target is not None:
        data["next"] = target
    response = client.post("/language", data=data)
    assert response.status_code == 303 and response.location == "/"


# --- the catalog ---------------------------------------------------------------------------------

def extracted() -> set:
    """(context, msgid) of every marked string in the sources, as `pybabel extract -F babel.cfg` sees it."""
    with open(ROOT / "babel.cfg") as config:
        method_map, options_map = parse_mapping_cfg(config)
    return {(context, message)
            for _, _, message, _, context in extract_from_dir(str(ROOT), method_map, options_map)}


def catalog(path: Path, locale: str | None = None):
    with open(path, "rb") as file:
        return read_po(file, locale=locale)


def _hashable(value):
    return tuple(value) if isinstance(value, list | tuple) else value


def entries(messages) -> dict:
    """(context, msgid) -> msgstr; a plural's msgid and msgstr are tuples."""
    return {(m.context, _hashable(m.id)): _hashable(m.string) for m in messages if m.id}


def test_every_marked_string_is_in_messages_pot():
    in_sources = extracted()
    in_pot = set(entries(catalog(POT)))
    assert len(in_sources) > 100
    missing, unused = sorted(in_sources - in_pot, key=str), sorted(in_pot - in_sources, key=str)
    assert not missing, f"strings missing from messages.pot: {missing[:10]}; {FIX}"
    assert not unused, f"messages.pot has strings no longer used: {unused[:10]}; {FIX}"


def test_every_string_has_a_chinese_translation():
    pot = entries(catalog(POT))
    zh = catalog(TRANSLATIONS / "zh_CN" / "LC_MESSAGES" / "messages.po", "zh_CN")
    translated = {(m.context, m.id): m for m in zh if m.id}
    untranslated = [key for key in pot if key not in translated or translated[key].fuzzy
                    or not all(translated[key].string if translated[key].pluralizable
                               else [translated[key].string])]
    assert not untranslated, f"no Chinese (or fuzzy) for {untranslated[:10]}; {FIX}"
    problems = [(message.id, errors) for message, errors in zh.check()]
    assert not problems, f"placeholders differ between msgid and msgstr: {problems[:10]}"


@pytest.mark.parametrize("locale", LOCALES)
def test_the_compiled_catalogs_match_the_po_files(locale):
    folder = TRANSLATIONS / locale / "LC_MESSAGES"
    compiled = io.BytesIO()
    write_mo(compiled, catalog(folder / "messages.po", locale))
    compiled.seek(0)
    with open(folder / "messages.mo", "rb") as file:
        committed = read_mo(file)
    assert entries(committed) == entries(read_mo(compiled)), \
        f"{locale}/LC_MESSAGES/messages.mo is stale: run pybabel compile -d app/translations"


def _inline_chinese_in_template(path: Path) -> set[str]:
    text = re.sub(r"\{#.*?#\}", "", path.read_text(encoding="utf-8"), flags=re.S)  # comments may
    return set(CJK.findall(text)) - INLINE_ALLOWED.get(path.name, set())


def _inline_chinese_in_module(path: Path) -> set[str]:
    """Chinese in the string literals of a module, docstrings aside."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, ast.Module | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
                  and node.body and isinstance(node.body[0], ast.Expr)}
    return {found for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
            for found in CJK.findall(node.value)}


def test_pages_and_views_hold_no_inline_chinese():
    """Every visible text is an English msgid with its Chinese in the catalog; none is written
    inline (the old "首页 <small>Home</small>" pattern)."""
    found = {str(path.relative_to(ROOT)): text
             for path in sorted((ROOT / "app" / "templates").rglob("*.html"))
             if (text := _inline_chinese_in_template(path))}
    found |= {str(path.relative_to(ROOT)): text for path in sorted((ROOT / "app" / "web").glob("*.py"))
              if (text := _inline_chinese_in_module(path))}
    assert not found, f"mark these with _() and an English msgid instead: {found}"
