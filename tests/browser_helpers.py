"""Shared helpers for the browser tests (tests/test_browser_*.py); this module holds no tests."""
import os
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
