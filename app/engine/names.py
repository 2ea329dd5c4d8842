"""The names designers give BPMN elements (tasks, events, gateways, lanes, flows): written once,
in English, in workflows/*.bpmn; `pybabel extract` collects them with `extract` (babel.cfg) and
people see them in their language: a task's stored name through the `task_name` filter
(app/web/labels.py), a diagram through `translate_xml`.

Signal and message names are identifiers shared between throw and catch events, not texts for
people: they are neither extracted nor translated.
"""
import re
from collections.abc import Callable
from xml.sax.saxutils import escape, unescape

from flask_babel import gettext

_NAMED = re.compile(r'(<bpmn:(?!signal\b|message\b)[A-Za-z]+\b[^>]*?\bname=")([^"]*)(")')
_ATTRIBUTE = {'"': "&quot;"}


def translate_xml(xml: str, translation: Callable[[str], str] = gettext) -> str:
    """The BPMN text with every element name in the request's language (for the diagram)."""
    def named(match: re.Match) -> str:
        name = unescape(match.group(2), {"&quot;": '"'})
        shown = translation(name) if name.strip() else name
        return match.group(1) + escape(shown, _ATTRIBUTE) + match.group(3)
    return _NAMED.sub(named, xml)


def extract(fileobj, keywords, comment_tags, options):
    """Babel extraction method for workflows/*.bpmn (babel.cfg): every element name, as gettext."""
    for lineno, line in enumerate(fileobj.read().decode("utf-8").splitlines(), 1):
        for match in _NAMED.finditer(line):
            name = unescape(match.group(2), {"&quot;": '"'})
            if name.strip():
                yield lineno, "gettext", name, []
