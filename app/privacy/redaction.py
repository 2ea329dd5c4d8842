"""One masking function for every free text that leaves the staff application (PIPL): Open311,
webhook payloads, the public tracking page.

`redact` blanks phone numbers (mobiles with +86/0086/86 prefixes, landlines with their area code,
digit groups separated by spaces, dashes or dots), resident ID numbers (18 characters with X, or
15 digits, also spaced), e-mail addresses and the names it is given (the requester's, also spaced
out). People type full-width digits, ＠ and spaces on Chinese keyboards, so the text is matched
in its NFKC form; every character of the *original* text that belongs to a match becomes one `*`,
so the masked text keeps its length and everything around a match stays as written.

Structured fields shown to staff keep their own partial masks (app/privacy/masking.py).
"""
import re
import unicodedata
from collections.abc import Iterable

#: What people put between digit groups: spaces, dashes, dots, middle dots, zero-width characters.
_SEP = r"[\s\-‐‑‒–—―.·・\u200b\u200c\u200d\u2060\ufeff]{0,3}"


def _digits(count: int) -> str:
    return rf"\d(?:{_SEP}\d){{{count - 1}}}"


_COUNTRY = r"(?:\(\s*(?:\+|00)\s*86\s*\)|(?:\+|00)\s*86|86)"
_MOBILE = rf"(?:{_COUNTRY}{_SEP})?1{_SEP}[3-9](?:{_SEP}\d){{9}}"
_LOCAL = rf"\d{{3,4}}{_SEP}\d{{4}}"
#: The international spelling first: "0086 418 …" would otherwise read as area code 0086.
_LANDLINE = (rf"(?:(?:\+|00)\s*86{_SEP}\(?\s*\d{{2,3}}\s*\)?|\(\s*0\d{{2,3}}\s*\)|0\d{{2,3}}){_SEP}"
             rf"{_LOCAL}")
_ID_NUMBER = rf"{_digits(17)}{_SEP}[\dXx]|{_digits(15)}"
_NUMBERS = re.compile(rf"(?<!\d)(?:{_MOBILE}|{_LANDLINE}|{_ID_NUMBER})(?!\d)")
#: Starts only where a run of address characters starts, so a long run without "@" is scanned once.
_EMAIL = re.compile(r"(?<![A-Za-z0-9._%+\-])[A-Za-z0-9._%+\-]+\s*@\s*[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+")
#: A name part this short identifies nobody (a surname alone); masking it would blank common words.
_SHORTEST_NAME = 2


def redact(text: str | None, names: Iterable[str | None] = ()) -> str:
    """`text` with phone numbers, ID numbers, e-mail addresses and `names` replaced by `*`."""
    if not text:
        return ""
    normal, origin = _normalised(text)
    masked = bytearray(len(text))
    for pattern in (_NUMBERS, _EMAIL, *_name_patterns(names)):
        for match in pattern.finditer(normal):
            if match.end() > match.start():
                start, end = origin[match.start()], origin[match.end() - 1] + 1
                masked[start:end] = b"\x01" * (end - start)
    return "".join("*" if hidden else char for char, hidden in zip(text, masked, strict=True))


def _normalised(text: str) -> tuple[str, list[int]]:
    """The NFKC form of `text` and, for each of its characters, the index it came from."""
    if unicodedata.is_normalized("NFKC", text):
        return text, list(range(len(text)))
    parts, origin = [], []
    for index, char in enumerate(text):
        normal = unicodedata.normalize("NFKC", char)
        parts.append(normal)
        origin.extend([index] * len(normal))
    return "".join(parts), origin


def _name_patterns(names: Iterable[str | None]) -> list[re.Pattern]:
    """The whole name with any spacing between its characters, and each part of a several-part
    name (an English first or last name) on its own; Latin parts only as whole words."""
    patterns = []
    for name in names:
        words = unicodedata.normalize("NFKC", name or "").split()
        for part in {"".join(words), *(words if len(words) > 1 else ())}:
            if len(part) < _SHORTEST_NAME:
                continue
            spaced = r"\s*".join(re.escape(char) for char in part)
            if part.isascii():
                spaced = rf"(?<![A-Za-z]){spaced}(?![A-Za-z])"
            patterns.append(re.compile(spaced, re.IGNORECASE))
    return patterns
