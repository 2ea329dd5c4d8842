"""Translations of the staff pages (Flask-Babel): Chinese (zh_CN) by default, English available.

msgids are English; app/translations/zh_CN/LC_MESSAGES/messages.po gives the Chinese of every one,
and English needs no translations (a msgid is its own English). The locale of a request is the
user's explicit choice (POST /language, kept in the session cookie), else the best match of the
browser's Accept-Language among SUPPORTED_LOCALES, else zh_CN. The JSON API is not translated,
except the problems of a deployment (app/engine/validation.py, repository.py), which follow the
request's locale too (no request: zh_CN; no app context: English).

How to add a string, extract, translate and compile: docs/architecture.md, "Translations".
"""
from functools import cached_property
from pathlib import Path

from babel import Locale, support
from flask import Blueprint, Flask, abort, has_request_context, redirect, request, session, url_for
from flask_babel import Babel, Domain, _get_current_context, force_locale, get_locale, gettext
from jinja2 import pass_eval_context
from markupsafe import Markup

DEFAULT_LOCALE = "zh_CN"
SUPPORTED_LOCALES = ("zh_CN", "en")
TRANSLATIONS_DIR = Path(__file__).resolve().parent / "translations"
DOMAIN = "messages"
#: session key of an explicit choice (app/web/security.py keeps it across login and logout)
SESSION_KEY = "lang"


def N_(message: str) -> str:
    """Mark a module-level English text for `pybabel extract` (N_ is one of its default keywords)
    without translating it; translate it when the page renders, with gettext(message)."""
    return message


class Problem(str):
    """A validation message whose value is its English text (what the JSON API answers and its
    tests see) and which keeps its msgid and variables, so a web page can show it in the request's
    language with `problem_text`. Mark the msgid with N_: Problem(N_("no territory %(code)s"), code=c)."""

    msgid: str
    variables: dict

    def __new__(cls, msgid: str, **variables) -> "Problem":
        problem = super().__new__(cls, msgid % variables if variables else msgid)
        problem.msgid, problem.variables = msgid, variables
        return problem


def problem_text(message: str) -> str:
    """A validation message in the request's language: a Problem through its msgid; a plain text
    through gettext as it is (unchanged when the catalogue does not hold it)."""
    if isinstance(message, Problem):
        return gettext(message.msgid, **message.variables)
    return gettext(message) if message and isinstance(message, str) else message


def problems_text(errors: dict | None) -> dict:
    """A field → messages map (a message or a list of them) with every message in the request's
    language, for pages that hand errors to JavaScript."""
    return {field: problem_text(messages) if isinstance(messages, str)
            else [problem_text(message) for message in messages]
            for field, messages in (errors or {}).items()}


def message_text(message: str, **variables) -> str:
    """A notification or SMS text in the default locale (Chinese), whoever's request caused it:
    recipients read it later, in their inbox or on their phone. Mark `message` with N_."""
    with force_locale(DEFAULT_LOCALE):
        return gettext(message, **variables)


def locale_code(locale: Locale | None) -> str:
    """"zh_CN" or "en": the catalog folder of a locale. Babel reads "zh_CN" as zh_Hans_CN (with the
    likely script), which is why neither str(locale) nor gettext's own lookup is used."""
    if locale is None:
        return DEFAULT_LOCALE
    return f"{locale.language}_{locale.territory}" if locale.territory else locale.language


class CatalogDomain(Domain):
    """Flask-Babel's message domain, finding a locale's catalog under app/translations/<zh_CN|en>.
    The request keeps the catalog it found (Flask-Babel's `babel_translations`, which
    force_locale empties and restores), so a page's many strings look it up once."""

    def get_translations(self):
        context = _get_current_context()
        found = getattr(context, "babel_translations", None)
        if found is not None:
            return found
        locale = get_locale()
        if locale is None:
            return support.NullTranslations()
        code = locale_code(locale)
        translations = self.cache.get(code)
        if translations is None:
            names = [code, locale.language] if code != locale.language else [code]
            translations = self.cache[code] = support.Translations.load(str(TRANSLATIONS_DIR), names, DOMAIN)
        context.babel_translations = translations
        return translations


class HuiyinBabel(Babel):
    @cached_property
    def domain_instance(self):
        return CatalogDomain(domain=DOMAIN)


babel = HuiyinBabel()
#: The catalog domain: its gettext, ngettext and pgettext are Flask-Babel's without the lookup of
#: the domain on every call (code that translates every row of a table uses them).
messages = babel.domain_instance
bp = Blueprint("web_i18n", __name__)
#: Parsed once: Babel's Locale.parse of a code checks its locale data every time (~0.1 ms).
LOCALES = {code: Locale.parse(code) for code in SUPPORTED_LOCALES}


def select_locale() -> Locale:
    """Flask-Babel's locale selector: session choice, else Accept-Language, else zh_CN."""
    if not has_request_context():
        return LOCALES[DEFAULT_LOCALE]
    chosen = session.get(SESSION_KEY)
    if chosen in SUPPORTED_LOCALES:
        return LOCALES[chosen]
    # werkzeug compares "zh-CN"/"zh_cn" alike and falls back to the primary tag ("zh-TW" -> zh_CN)
    return LOCALES[request.accept_languages.best_match(SUPPORTED_LOCALES) or DEFAULT_LOCALE]


def _template_function(method: str, **named: int):
    """A gettext function of the templates with the semantics of Jinja's newstyle gettext (the
    text is autoescaped and always a format string; the `named` positional arguments, by index,
    are variables too) that asks the request's catalog directly: Jinja's wrappers around
    Flask-Babel's lookups cost about 9 µs a string, and a page has hundreds."""

    @pass_eval_context
    def translate(eval_context, *args, **variables):
        for name, index in named.items():
            variables.setdefault(name, args[index])
        text = getattr(messages.get_translations(), method)(*args)
        if eval_context.autoescape:
            text = Markup(text)
        return text % variables if variables or "%" in text else text

    return translate


def active_locale() -> str:
    """The request's locale as one of SUPPORTED_LOCALES."""
    return locale_code(get_locale())


def html_lang() -> str:
    """The request's locale as a BCP 47 tag for <html lang>: "zh-CN" or "en"."""
    return active_locale().replace("_", "-")


def return_path() -> str | None:
    """Where the switcher sends the browser back to: this page, when a GET can show it again (not
    after a POST to a POST-only address, such as revealing personal data)."""
    if request.method in ("GET", "HEAD"):
        return request.full_path if request.query_string else request.path
    rule = request.url_rule
    return request.path if rule is not None and "GET" in (rule.methods or ()) else None


@bp.post("/language")
def choose_language():
    """Remember a language for this browser; works signed out too (CSRF as every web form)."""
    from app.web.security import safe_next  # here: app.web imports this module (and N_) first

    chosen = request.form.get("lang", "")
    if chosen not in SUPPORTED_LOCALES:
        abort(400)
    session[SESSION_KEY] = chosen
    return redirect(safe_next(request.form.get("next")) or url_for("web_home.home"), 303)


def init_app(app: Flask) -> None:
    app.config["BABEL_DEFAULT_LOCALE"] = DEFAULT_LOCALE
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(TRANSLATIONS_DIR)
    app.config["BABEL_DOMAIN"] = DOMAIN
    babel.init_app(app, locale_selector=select_locale)
    template_gettext = _template_function("ugettext")
    app.jinja_env.globals.update(
        _=template_gettext, gettext=template_gettext, ngettext=_template_function("ungettext", num=2),
        pgettext=_template_function("upgettext", context=0),
        npgettext=_template_function("unpgettext", context=0, num=3))
    app.register_blueprint(bp)
    app.add_template_filter(problem_text)

    @app.context_processor
    def i18n_context():
        return {"html_lang": html_lang, "active_locale": active_locale,
                "language_return_path": return_path, "supported_locales": SUPPORTED_LOCALES}
