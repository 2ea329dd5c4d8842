"""Hot spots (R35, 按图索骥、找寻病根): many similar requests in one place and window.

The requests received in the period, within the viewer's scope and cuts, are grouped by place ×
category; a place is the village or community (村/社区) where a request is registered — one at a
grid, compound, building or group (屯/组) below it counts at its village, one registered higher up
(a township, a county) at that territory. Within a group, similar texts (title and description)
are clustered (app/statistics/similar.py); a cluster of at least `min_count` requests is a hot spot.

Flags: a hot spot has **repeated** requests when the same requester (the same phone, or the same
ID number by its search hash) or the same address stands behind REPEAT_MIN or more of its
requests; it is a **group** request (群体性) when GROUP_REQUESTERS or more different requesters
ask the same thing (anonymous requests each count as one requester). Definitions and choices:
docs/statistics.md.
"""
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from operator import attrgetter
from typing import NamedTuple

from sqlalchemy import select

from app.accounts.models import User
from app.cases.models import Case
from app.engine.errors import InvalidData
from app.extensions import db
from app.organisation.models import TERRITORY_LEVELS, Category, Territory
from app.statistics import figures, similar
from app.statistics.analysis_models import HotspotOrder, HotspotOrderCase
from app.statistics.filters import Filters, Scope, narrowed, parse, scope_of

MIN_COUNT = 3
#: A hot spot is about one window: at most a quarter (longer periods mix matters long settled).
MAX_DAYS = 92
REPEAT_MIN = 2
#: Five or more people: the threshold petition work uses for a collective visit (集体访).
GROUP_REQUESTERS = 5
#: Requests registered below this level count at their ancestor of this level.
PLACE_LEVEL = "village"
_BELOW_PLACE = set(TERRITORY_LEVELS[TERRITORY_LEVELS.index(PLACE_LEVEL) + 1:])
_ADDRESS_NOISE = re.compile(r"[\W_]+", re.UNICODE)


@dataclass(frozen=True)
class Place:
    id: int
    code: str
    name: str
    path: str


class Request(NamedTuple):
    """A request as hot spots read it: a tuple, since a city's month makes 80,000 of them."""

    id: int
    number: str
    title: str
    description: str
    address: str | None
    phone: str | None
    id_hash: str | None
    name: str | None
    status: str
    territory_id: int | None
    category_id: int | None

    @property
    def text(self) -> str:
        return f"{self.title}\n{self.description or ''}"


@dataclass
class Hotspot:
    place: Place
    category: tuple[int, str, str] | None  # id, code, name
    first: date
    last: date
    requests: list[Request]
    keywords: list[str]
    requesters: int = 0
    repeated: list[Request] = field(default_factory=list)

    @property
    def key(self) -> str:
        """What names the hot spot: place, category, period and its first request."""
        category = self.category[1] if self.category else "-"
        return f"{self.place.code}:{category}:{self.first.isoformat()}:{self.last.isoformat()}:" \
               f"{self.requests[0].number}"

    @property
    def group(self) -> bool:
        return self.requesters >= GROUP_REQUESTERS


def places() -> dict[int, Place]:
    """Each territory's place: itself, or its ancestor at PLACE_LEVEL when it lies below."""
    rows = {row.id: row for row in db.session.execute(
        select(Territory.id, Territory.parent_id, Territory.level, Territory.code, Territory.name,
               Territory.path))}
    found = {}
    for territory_id, row in rows.items():
        place = row
        while place.level in _BELOW_PLACE and place.parent_id in rows:
            place = rows[place.parent_id]
        found[territory_id] = Place(place.id, place.code, place.name, place.path)
    return found


def _requests(filters: Filters, scope: Scope) -> list[Request]:
    c = Case
    statement = (select(c.id, c.number, c.title, c.description, c.address, c.requester_phone,
                        c.id_number_hash, c.requester_name, c.status, c.territory_id, c.category_id)
                 .where(figures.case_condition("received", filters, scope)))
    found = list(map(Request._make, db.session.execute(statement)))
    found.sort(key=attrgetter("id"))  # here, not in PostgreSQL: a month of texts sorts on disk there
    return found


def _requesters(requests: list[Request]) -> tuple[int, list[Request]]:
    """How many different requesters, and the requests made again by the same one or for the
    same address (REPEAT_MIN or more)."""
    parent = list(range(len(requests)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first_of: dict[tuple[str, str], int] = {}
    for index, request in enumerate(requests):
        for key in (("phone", request.phone), ("id", request.id_hash)):
            if key[1]:
                parent[root(index)] = root(first_of.setdefault(key, index))
    person = [root(index) for index in range(len(requests))]
    people = Counter(person)
    at = [_address(request.address) for request in requests]
    addresses = Counter(address for address in at if address)
    repeated = [request for index, request in enumerate(requests)
                if people[person[index]] >= REPEAT_MIN or addresses[at[index]] >= REPEAT_MIN]
    return len(people), repeated


def _address(address: str | None) -> str:
    return _ADDRESS_NOISE.sub("", unicodedata.normalize("NFKC", address or "")).lower()


def find(filters: Filters, scope: Scope, min_count: int) -> list[Hotspot]:
    """The hot spots of the period within the scope and cuts, biggest first."""
    where = places()
    requests = _requests(filters, scope)
    #: words weigh by how common they are among all the period's requests in view
    vector_of = dict(zip((r.id for r in requests), similar.weighted([r.text for r in requests]), strict=True))
    groups: dict[tuple[int, int | None], list[Request]] = {}
    for request in requests:
        place = where.get(request.territory_id)
        if place is not None:
            groups.setdefault((place.id, request.category_id), []).append(request)
    groups = {key: found for key, found in groups.items() if len(found) >= min_count}
    if not groups:
        return []
    categories = {row.id: (row.id, row.code, row.name) for row in db.session.execute(
        select(Category.id, Category.code, Category.name).where(
            Category.id.in_({category for _, category in groups if category is not None})))}
    by_id = {place.id: place for place in where.values()}
    spots = []
    for (place_id, category_id), found in groups.items():
        group_vectors = [vector_of[request.id] for request in found]
        for cluster in similar.clustered(group_vectors):
            if len(cluster.members) < min_count:
                continue
            requests = [found[i] for i in cluster.members]
            spot = Hotspot(by_id[place_id], categories.get(category_id), filters.first, filters.last,
                           requests, similar.heaviest(cluster.total))
            spot.requesters, spot.repeated = _requesters(requests)
            spots.append(spot)
    spots.sort(key=lambda s: (-len(s.requests), -s.requesters, s.place.code, s.key))
    return spots


def asked(user: User, args: dict) -> tuple[Filters, Scope]:
    """The viewer's filters and scope, for a window hot spots can be about."""
    scope = scope_of(user)
    filters = narrowed(parse(args), scope)
    if (filters.last - filters.first).days >= MAX_DAYS:
        raise InvalidData("the period is too long for hot spots",
                          {"to": [f"hot spots cover at most {MAX_DAYS} days after from"]})
    return filters, scope


def check_min_count(min_count) -> int:
    if isinstance(min_count, bool) or not isinstance(min_count, int) or not 2 <= min_count <= 10000:
        raise InvalidData("invalid min_count", {"min_count": ["a whole number from 2 to 10000"]})
    return min_count


def hotspots(user: User, args: dict, min_count: int = MIN_COUNT) -> list[dict]:
    """The hot spots the viewer may see, as rows for the API, the pages and the report."""
    min_count = check_min_count(min_count)
    filters, scope = asked(user, args)
    spots = find(filters, scope, min_count)
    return rows(spots, filters)


#: Case ids bound per query: a city-month's hot spots hold more cases than a statement may bind.
ID_CHUNK = 10000


def orders_of(case_ids: list[int]) -> dict[int, int]:
    """The supervision order each of these cases is under (cases under none are left out)."""
    found: dict[int, int] = {}
    for start in range(0, len(case_ids), ID_CHUNK):
        found.update(db.session.execute(
            select(HotspotOrderCase.case_id, HotspotOrderCase.order_id)
            .where(HotspotOrderCase.case_id.in_(case_ids[start:start + ID_CHUNK]))).all())
    return found


def orders_within(first: date, last: date) -> dict[int, int]:
    """The supervision order of each case under an order whose period overlaps first..last.

    A case's order is about a hot spot it was received in, so a case received in the window is
    under one of these if under any: reading the few orders of the window is cheaper than
    binding a city-month's tens of thousands of case ids (orders_of)."""
    return dict(db.session.execute(
        select(HotspotOrderCase.case_id, HotspotOrderCase.order_id)
        .join(HotspotOrder, HotspotOrder.id == HotspotOrderCase.order_id)
        .where(HotspotOrder.first_day <= last, HotspotOrder.last_day >= first)).all())


def rows(spots: list[Hotspot], filters: Filters) -> list[dict]:
    ordered = orders_within(filters.first, filters.last) if spots else {}
    found = []
    for spot in spots:
        category_code = spot.category[1] if spot.category else None
        drill_down = {"figure": "received", **filters.args, "territory": spot.place.code}
        if category_code:
            drill_down["category"] = category_code
        found.append({
            "key": spot.key, "territory_code": spot.place.code, "territory_name": spot.place.name,
            "category_code": category_code, "category_name": spot.category[2] if spot.category else None,
            "count": len(spot.requests), "open": sum(r.status == "open" for r in spot.requests),
            "requesters": spot.requesters, "group": spot.group, "repeated": bool(spot.repeated),
            "repeated_cases": [r.number for r in spot.repeated], "keywords": spot.keywords,
            "cases": [r.number for r in spot.requests],
            "orders": sorted({ordered[r.id] for r in spot.requests if r.id in ordered}),
            "drill_down": drill_down})
    return found
