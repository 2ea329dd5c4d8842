"""What the product makes of BPMN elements, read from the BPMN itself, never from element ids.

A designer marks an element with camunda:property extension properties; Python asks by meaning:

- `meaning` (one or more, comma-separated): `triage` (the hotline desk completes it as it registers
  a call), `dispatch` (the routing catalogue's proposal is pre-filled into its form), `rating` (the
  requester rates on the public page), `reply_due` (its due date is the answer date the requester
  sees);
- `queue`: the inbox queue the task belongs to (`dispatch`, `review`, `revisit`);
- `publicStatus`: what an open task says to Open311 clients (`RECEIVED`, `PROCESSED`);
- `shows`: what its task page puts next to the form (`duplicates`: the case's likely duplicates,
  with the merge into one of them; `requester_contact`: the requester's name and phone, masked,
  with the audited reveal one click away, for the step that calls them).

The meanings of a deployed version are read once from its parsed spec (cached per definition id
with the parsed spec itself) and never by parsing XML on a request. `elements(kind, value)` is the
element ids that have a meaning in any deployed version, for SQL filters such as
`element_id IN (...)` that keep using the indexes; app/engine/validation.py refuses unknown values
and a process that lacks a meaning the product needs.
"""
import logging

from flask import g, has_request_context
from sqlalchemy import select

from app.engine import repository
from app.engine.errors import DeploymentError
from app.engine.models import ProcessDefinition
from app.extensions import db
from app.i18n import N_

log = logging.getLogger(__name__)

MEANING, QUEUE, PUBLIC_STATUS, SHOWS = "meaning", "queue", "publicStatus", "shows"
#: property name -> the values it may take.
VOCABULARY: dict[str, tuple[str, ...]] = {
    MEANING: ("triage", "dispatch", "rating", "reply_due"),
    QUEUE: ("dispatch", "review", "revisit"),
    PUBLIC_STATUS: ("RECEIVED", "PROCESSED"),
    SHOWS: ("duplicates", "requester_contact"),
}
#: A registered function a process calls -> the meaning it then needs, and why (an English msgid).
NEEDS: dict[str, tuple[str, str]] = {
    "record_rating": ("rating", N_("the public rating page completes the task the requester rates")),
    "answer_at_once": ("triage", N_("the hotline desk completes the triage task as it registers a call")),
    "refuse_case": ("triage", N_("the hotline desk completes the triage task as it registers a call")),
    "propose_unit": ("dispatch", N_("the routing catalogue's proposal is pre-filled into the dispatch task")),
    "assign_case": ("reply_due", N_("the requester sees the due date of the task that answers them")),
}

Meanings = dict[tuple[str, str], frozenset[str]]
_cache: dict[int, tuple["repository.ParsedProcess", Meanings]] = {}


def values(raw: str | None) -> list[str]:
    """The values of one property ("a, b" -> ["a", "b"])."""
    return [v.strip() for v in (raw or "").split(",") if v.strip()]


def _task_specs(parsed: "repository.ParsedProcess"):
    yield from parsed.spec.task_specs.values()
    for spec in parsed.subprocess_specs.values():
        yield from spec.task_specs.values()


def of_parsed(parsed: "repository.ParsedProcess") -> Meanings:
    """(property, value) -> element ids of one parsed process."""
    found: dict[tuple[str, str], set[str]] = {}
    for spec in _task_specs(parsed):
        extensions = getattr(spec, "extensions", None) or {}
        for kind in VOCABULARY:
            for value in values(extensions.get(kind)):
                found.setdefault((kind, value), set()).add(spec.bpmn_id)
    return {key: frozenset(ids) for key, ids in found.items()}


def for_definition(definition_id: int) -> Meanings:
    """The meanings of one deployed version (computed once per parsed spec)."""
    parsed = repository.parsed_by_id(definition_id)
    cached = _cache.get(definition_id)
    if cached is None or cached[0] is not parsed:  # a re-parse (or a reset database) replaces it
        cached = _cache[definition_id] = (parsed, of_parsed(parsed))
    return cached[1]


def has(definition_id: int, element_id: str, kind: str, value: str) -> bool:
    return element_id in for_definition(definition_id).get((kind, value), frozenset())


def _readable(definition_id: int) -> Meanings:
    """A version that no longer parses (e.g. it calls a function since removed) has no meanings:
    its cases are stuck anyway (an incident), and it must not take every inbox down with it."""
    try:
        return for_definition(definition_id)
    except DeploymentError as exc:
        log.warning("process definition %s has no meanings: %s", definition_id, exc.message)
        return {}


def elements(kind: str, value: str) -> frozenset[str]:
    """Element ids marked `kind`=`value` in any deployed version (once per request)."""
    memo = g.setdefault("_meaning_elements", {}) if has_request_context() else {}
    if (kind, value) not in memo:
        ids = db.session.scalars(select(ProcessDefinition.id)).all()
        memo[(kind, value)] = frozenset().union(*(_readable(i).get((kind, value), frozenset()) for i in ids))
    return memo[(kind, value)]
