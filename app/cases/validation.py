"""Checks on what requesters tell us (R5): phone numbers, resident ID numbers (GB 11643), and text
the database can store."""
import math
import re
from datetime import date

from app.i18n import N_

_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}$")
_ID_NUMBER = re.compile(r"^\d{17}[\dX]$")
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARS = "10X98765432"


def phone_problem(phone: str) -> str | None:
    """None if `phone` is a mainland mobile (11 digits, 13x–19x) or a landline with area code."""
    if _MOBILE.match(phone) or _LANDLINE.match(phone):
        return None
    return N_("a mobile number has 11 digits starting with 13–19; a landline starts with its area code")


def id_number_problem(id_number: str) -> str | None:
    """None if `id_number` is a valid 18-character resident ID: digits, birth date, check character."""
    value = id_number.strip().upper()
    if not _ID_NUMBER.match(value):
        return N_("an ID number has 17 digits and a final digit or X")
    try:
        date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return N_("the birth date inside the ID number does not exist")
    total = sum(int(digit) * weight for digit, weight in zip(value[:17], _WEIGHTS, strict=True))
    if _CHECK_CHARS[total % 11] != value[17]:
        return N_("the check character of the ID number is wrong (GB 11643)")
    return None


def storable(text: str) -> bool:
    """False for NUL (PostgreSQL text cannot hold it) and unpaired surrogates (not UTF-8), which
    SQLite would store silently: both databases must give the same answer."""
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return "\x00" not in text


def position_problem(latitude: float | None, longitude: float | None) -> str | None:
    """None if there is no position or a real one: both coordinates, latitude within ±90 and
    longitude within ±180 degrees."""
    if latitude is None and longitude is None:
        return None
    if latitude is None or longitude is None:
        return N_("a position needs both latitude and longitude")
    if not (math.isfinite(latitude) and math.isfinite(longitude)
            and -90 <= latitude <= 90 and -180 <= longitude <= 180):
        return N_("latitude is between -90 and 90 degrees, longitude between -180 and 180")
    return None
