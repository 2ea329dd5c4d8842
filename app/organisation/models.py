"""Territory tree (R1), units (R2), request categories and the routing catalogue (R2, R12)."""
from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db

#: Territory levels from the top; urban grids may go street -> community -> compound -> building,
#: rural ones township -> village -> group (屯/组).
TERRITORY_LEVELS = ("city", "county", "township", "village", "grid", "compound", "building", "group")
#: The handling levels a case climbs (R10); "department" units sit beside the county or city.
UNIT_LEVELS = ("village", "township", "county", "city")
UNIT_KINDS = ("committee", "office", "department", "centre")
CLASSES = ("livelihood", "development", "enforcement")


class Territory(db.Model):
    """A node of the administrative tree. `path` ("/210900/210902/") makes subtree queries one
    indexed prefix match."""

    __tablename__ = "territory"
    __table_args__ = (Index("ix_territory_path", "path"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    level: Mapped[str] = mapped_column(String(20))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("territory.id"), index=True)
    path: Mapped[str] = mapped_column(String(400))

    parent: Mapped["Territory | None"] = relationship(remote_side=[id], lazy="raise")

    def ancestor_codes(self) -> list[str]:
        """Codes from this node up to the root."""
        return [code for code in reversed(self.path.strip("/").split("/")) if code]


class Category(db.Model):
    """A request category (subject), e.g. street lighting, wage arrears; `klass` is R6's class."""

    __tablename__ = "category"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    klass: Mapped[str] = mapped_column(String(20), default="livelihood")


class Unit(db.Model):
    """A handling unit: a village committee, a township office, a department, a platform centre."""

    __tablename__ = "unit"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    level: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(20), default="office")
    territory_id: Mapped[int | None] = mapped_column(ForeignKey("territory.id"), index=True)

    territory: Mapped[Territory | None] = relationship(lazy="select")


class RoutingRule(db.Model):
    """For category C (or any category when null) in territory T at level L, unit U handles it.
    Rules on a territory apply to its whole subtree unless a deeper node has its own."""

    __tablename__ = "routing_rule"
    __table_args__ = (UniqueConstraint("territory_id", "level", "category_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    territory_id: Mapped[int] = mapped_column(ForeignKey("territory.id"))
    level: Mapped[str] = mapped_column(String(20))
    category_id: Mapped[int | None] = mapped_column(ForeignKey("category.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)

    unit: Mapped[Unit] = relationship(lazy="joined")
