"""Shared helpers for the browser tests (tests/test_browser_*.py); this module holds no tests."""
import os
import re
from html.parser import HTMLParser
from pathlib import Path

ARTIFACTS = Path(os.environ.get("HUIYIN_ARTIFACTS", "test-artifacts"))


def accessible(page) -> None:
    """Labels on every form field, one h1 and headings, a name on every button and link."""
    problems = page.evaluate("""() => {
        const out = [];
        for (const el of document.querySelectorAll('input:not([type=hidden]), select, textarea')) {
            const named = (el.labels && el.labels.length) || el.getAttribute('aria-label')
                || el.getAttribute('aria-labelledby');
            if (!named) out.push('unlabelled ' + el.outerHTML.slice(0, 80));
        }
        for (const el of document.querySelectorAll('button, a[href]')) {
            const name = (el.textContent || el.getAttribute('aria-label')
                || el.getAttribute('title') || '').trim();
            if (!name) out.push('unnamed ' + el.outerHTML.slice(0, 80));
        }
        const h1 = document.querySelectorAll('h1').length;
        if (h1 !== 1) out.push('h1 count ' + h1);
        return out;
    }""")
    assert problems == [], problems


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)



#: Latin words a Chinese page may show: product and format names, and the switcher's "English".
ALLOWED_LATIN = frozenset({"huiyin", "english", "pdf", "xlsx", "csv", "excel", "sms", "open311", "api",
                           "json",
                           "bpmn", "png", "svg", "qr", "iso", "wechat", "http", "https"})
#: names the test data gives (factories: "Unit <code>", users named after their username;
#: complaint_city: bilingual titles and categories)
TEST_DATA = ("Unit", "Street lamp out", "Street lamps", "Unlicensed trading", "Lamp replaced", "Registrar",
             "Dispatcher",
             "Admin", "Leader", "Supervisor", "Designer")
_LATIN_RUN = re.compile(r"[A-Za-z][A-Za-z0-9_.@/+\-]*")
_VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
                   "track", "wbr"})


class _VisibleText(HTMLParser):
    """The text of an HTML page as people read it, without what is not words for people:
    scripts and styles, codes (<code>, <kbd>, class "code", translate="no") and what is marked
    as English inside the page (lang="en", e.g. the English names an administrator gives)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.open: list[tuple[str, bool]] = []

    def skipping(self) -> bool:
        return bool(self.open) and self.open[-1][1]

    def handle_starttag(self, tag, attrs):
        if tag in _VOID:
            return
        attributes = dict(attrs)
        skip = (self.skipping() or tag in ("script", "style", "code", "kbd", "samp", "template")
                or attributes.get("translate") == "no"
                or (tag != "html" and (attributes.get("lang") or "").startswith("en"))
                or "code" in (attributes.get("class") or "").split())
        self.open.append((tag, skip))

    def handle_endtag(self, tag):
        while self.open:
            if self.open.pop()[0] == tag:
                break

    def handle_data(self, data):
        if not self.skipping():
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _VisibleText()
    parser.feed(html)
    return " ".join(parser.parts)


def english_words(text: str, allow=()) -> list[str]:
    """Latin words of 3 or more letters in `text` that are not codes (all capitals, or with
    digits, '_', '-', '@', '.': case numbers, unit codes, usernames), product or format names,
    names from the test data, or `allow` (what people typed)."""
    allowed = ALLOWED_LATIN | {word.lower() for phrase in (*TEST_DATA, *allow)
                               for word in _LATIN_RUN.findall(phrase)}
    return [word for word in _LATIN_RUN.findall(text)
            if sum(c.isalpha() for c in word) >= 3 and word.lower() not in allowed
            and not word.isupper() and not re.search(r"[0-9_.@/+\-]", word)]


def no_english(page, allow=()) -> None:
    """The page is Chinese (zh-CN) and what it shows holds no English words (see `english_words`)."""
    assert page.evaluate("document.documentElement.lang") == "zh-CN"
    found = english_words(visible_text(page.content()), allow)
    assert not found, f"English on the Chinese page {page.url}: {sorted(set(found))[:20]}"
