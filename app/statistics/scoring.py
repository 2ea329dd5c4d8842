"""The units' score of the ranking (亮晒比): weighted rates minus deductions, by an assessment
scheme that is data (docs/statistics.md, "Assessment"). Administrators keep versioned schemes
(app/assessment/schemes.py); the active version scores the ranking. Until they define one, the
default scheme weighs response 30, resolution 35 and satisfaction 35, with no deductions."""
from dataclasses import dataclass, field

from sqlalchemy import select

from app.assessment.models import AssessmentScheme
from app.extensions import db


@dataclass(frozen=True)
class Scheme:
    name: str
    version: int
    #: rate name -> weight; the weights of the rates a unit has (a rate without a denominator
    #: is left out and the others are scaled up to the same total)
    weights: dict[str, float]
    #: count name -> points taken off per item (e.g. late_replies, returns_overruled, referred)
    deductions: dict[str, float] = field(default_factory=dict)
    code: str = "default"
    #: the assessment_scheme row of this version (None: the built-in default)
    id: int | None = None

    def as_dict(self) -> dict:
        """What a frozen ranking keeps of the scheme it was scored with."""
        return {"code": self.code, "name": self.name, "version": self.version, "weights": dict(self.weights),
                "deductions": dict(self.deductions)}


DEFAULT = Scheme("默认方案", 0, {"response_rate": 30.0, "resolution_rate": 35.0,
                                          "satisfaction_rate": 35.0})


def of_row(row: AssessmentScheme) -> Scheme:
    return Scheme(row.name, row.version, dict(row.weights), dict(row.deductions), row.code, row.id)


def active_scheme() -> Scheme:
    """The active version of the administrators' schemes; the DEFAULT while there is none."""
    row = db.session.scalar(select(AssessmentScheme).where(AssessmentScheme.active.is_(True)))
    return DEFAULT if row is None else of_row(row)


def score(scheme: Scheme, rates: dict, counts: dict) -> float | None:
    """Σ weight × rate ÷ Σ weight of the rates the unit has, minus the deductions; None when it
    has none of the scheme's rates."""
    present = {name: weight for name, weight in scheme.weights.items() if rates.get(name) is not None}
    if not present or not sum(present.values()):
        return None
    weighted = sum(weight * rates[name] for name, weight in present.items()) / sum(present.values())
    deducted = sum(points * counts.get(name, 0) for name, points in scheme.deductions.items())
    return round(weighted - deducted, 2)
