"""Demo data for `make run` / `flask demo`: the city of Fuxin (阜新市, Liaoning), modelled on its
"阜政通" platform (seeds/000, 001), with one login per role.

The tables below describe the city; the loader derives territories, units, routing rules and
users from them. Territory codes follow GB/T 2260 (city 210900, districts and counties 2109xx)
with three more digits per level below (township 210902001, village 210902001001, grid
210902001001001), so a code's length gives its level and its prefix its parent.

Units: every village/community has its committee (unit code = territory code), every township/
street its office (same), every county/district its platform centre (`<code>-CENTER`, 社会治理综合
服务中心) and the departments in DEPARTMENTS (`<code>-<key>`); the city has its 12345 centre and
the same departments. Routing (R2, R10–R12, R17): at every level the territory's own unit takes
any category; development and enforcement categories go at county and city level straight to the
responsible department. So every category resolves without fallback at every level at or above
the territory's own.

Loading is idempotent: rows are matched by code (users by username) and only missing ones are
created; existing demo rows are brought back to the description, user passwords are left alone.
"""
from sqlalchemy import select

from app.accounts.models import Membership, User
from app.accounts.security import hash_password
from app.extensions import db
from app.organisation.models import Category, RoutingRule, Territory, Unit

DEMO_PASSWORD = "huiyin-demo"

CITY = ("210900", "阜新市")
CITY_CENTRE = "阜新市12345接诉即办中心"

#: (code, name) below the city; a code's length gives its level, its prefix its parent.
TERRITORIES = [
    ("210902", "海州区"),
    ("210902001", "和平街道"),
    ("210902001001", "新兴社区"),
    ("210902001001001", "新兴社区第一网格"),
    ("210902001001002", "新兴社区第二网格"),
    ("210902001002", "和平社区"),
    ("210902001003", "光明社区"),
    ("210902002", "西山街道"),
    ("210902002001", "西山社区"),
    ("210902002002", "红梅社区"),
    ("210902003", "站前街道"),
    ("210902003001", "站前社区"),
    ("210902003002", "铁路社区"),
    ("210903", "新邱区"),
    ("210903001", "街基街道"),
    ("210903001001", "街基社区"),
    ("210903001002", "长青社区"),
    ("210903002", "益民街道"),
    ("210903002001", "益民社区"),
    ("210903002002", "兴隆社区"),
    ("210904", "太平区"),
    ("210904001", "高德街道"),
    ("210904001001", "高德社区"),
    ("210904001002", "福兴社区"),
    ("210904002", "孙家湾街道"),
    ("210904002001", "孙家湾社区"),
    ("210904002002", "矿工社区"),
    ("210904003", "水泉镇"),
    ("210904003001", "水泉村"),
    ("210904003002", "东营子村"),
    ("210905", "清河门区"),
    ("210905001", "河西街道"),
    ("210905001001", "河西社区"),
    ("210905001002", "新华社区"),
    ("210905002", "乌龙坝镇"),
    ("210905002001", "乌龙坝村"),
    ("210905002002", "前进村"),
    ("210911", "细河区"),
    ("210911001", "四合街道"),
    ("210911001001", "四合社区"),
    ("210911001002", "文苑社区"),
    ("210911002", "北苑街道"),
    ("210911002001", "北苑社区"),
    ("210911002002", "园林社区"),
    ("210911003", "四合镇"),
    ("210911003001", "四合村"),
    ("210911003002", "大五家子村"),
    ("210921", "阜新蒙古族自治县"),
    ("210921001", "阜新镇"),
    ("210921001001", "城关村"),
    ("210921001002", "新建村"),
    ("210921002", "东梁镇"),
    ("210921002001", "东梁村"),
    ("210921002002", "太平沟村"),
    ("210921003", "佛寺镇"),
    ("210921003001", "佛寺村"),
    ("210921003002", "下扣莫村"),
    ("210922", "彰武县"),
    ("210922001", "彰武镇"),
    ("210922001001", "东升村"),
    ("210922001002", "榆树村"),
    ("210922002", "章古台镇"),
    ("210922002001", "章古台村"),
    ("210922002002", "小边村"),
    ("210922003", "哈尔套镇"),
    ("210922003001", "哈尔套村"),
    ("210922003002", "东房身村"),
]
LEVEL_BY_LENGTH = {6: "county", 9: "township", 12: "village", 15: "grid"}

#: Departments of every county/district and of the city: (key, name) — "谁主管谁负责".
DEPARTMENTS = [
    ("YSJ", "营商环境建设局"),
    ("ZRJ", "自然资源局"),
    ("ZFJ", "综合行政执法局"),
]

#: (code, name, class, department key): R6 classes; development and enforcement categories go
#: to their department at county and city level (R12), livelihood ones climb from the village (R10).
CATEGORIES = [
    ("lighting", "路灯照明", "livelihood", None),
    ("heating", "供暖供水", "livelihood", None),
    ("noise", "噪声扰民", "livelihood", None),
    ("property", "物业管理", "livelihood", None),
    ("wages", "劳动工资", "livelihood", None),
    ("business", "营商环境", "development", "YSJ"),
    ("approval", "项目审批", "development", "YSJ"),
    ("land", "企业用地", "development", "ZRJ"),
    ("building", "违章建筑", "enforcement", "ZFJ"),
    ("stall", "占道经营", "enforcement", "ZFJ"),
]

#: (username, display name, [(unit code, role)]): one login per role at each sensible level.
USERS = [
    ("village", "社区承办人 刘洋", [("210902001001", "handler")]),
    ("village_reviewer", "社区审核人 黄丽", [("210902001001", "unit_reviewer")]),
    ("township", "街道承办人 陈刚", [("210902001", "handler"), ("210902001", "unit_reviewer")]),
    # four-eyes (notBy in complaint.bpmn): a reply 陈刚 or 冯涛 wrote is approved by a colleague
    ("township_reviewer", "街道审核人 林芳", [("210902001", "unit_reviewer")]),
    ("county", "区执法局承办人 孙磊", [("210902-ZFJ", "handler")]),
    ("county_reviewer", "区执法局审核人 周敏", [("210902-ZFJ", "unit_reviewer")]),
    ("county_dispatcher", "区中心交办员 吴婷", [("210902-CENTER", "dispatcher")]),
    ("county_supervisor", "区中心督办员 马丽", [("210902-CENTER", "platform_supervisor")]),
    ("leader", "区委书记(首席办事员) 郑军", [("210902-CENTER", "leader")]),
    ("registrar", "话务员 王芳", [("210900-CENTER", "registrar")]),
    ("dispatcher", "交办员 李强", [("210900-CENTER", "dispatcher")]),
    ("supervisor", "平台督办员 赵敏", [("210900-CENTER", "platform_supervisor")]),
    ("city", "市执法局承办人 冯涛", [("210900-ZFJ", "handler"), ("210900-ZFJ", "unit_reviewer")]),
    ("city_reviewer", "市执法局审核人 高峰", [("210900-ZFJ", "unit_reviewer")]),
    ("city_leader", "市委副书记(首席办事员) 韩冰", [("210900-CENTER", "leader")]),
    ("admin", "系统管理员 许明", [("210900-CENTER", "administrator")]),
    ("designer", "流程设计员 何静", [("210900-CENTER", "process_designer")]),
    ("auditor", "审计员 钱进", [("210900-CENTER", "auditor")]),
]


def _territories() -> list[dict]:
    """Territory rows, parents before children."""
    rows = [{"code": CITY[0], "name": CITY[1], "level": "city", "parent": None}]
    for code, name in sorted(TERRITORIES, key=lambda t: (len(t[0]), t[0])):
        parent = CITY[0] if len(code) == 6 else code[:-3]
        rows.append({"code": code, "name": name, "level": LEVEL_BY_LENGTH[len(code)], "parent": parent})
    return rows


def _units(territories: list[dict]) -> list[dict]:
    """The handling unit of every village, township, county and the city, plus departments."""
    names = {t["code"]: t["name"] for t in territories}
    rows = []
    for t in territories:
        code, name, level = t["code"], t["name"], t["level"]
        if level == "village":
            committee = "居委会" if name.endswith("社区") else "村委会"
            rows.append((code, f"{names[t['parent']]}{name}{committee}", level, "committee", code))
        elif level == "township":
            office = "办事处" if name.endswith("街道") else "人民政府"
            rows.append((code, f"{names[t['parent']]}{name}{office}", level, "office", code))
        elif level in ("county", "city"):
            centre = CITY_CENTRE if level == "city" else f"{name}社会治理综合服务中心"
            rows.append((f"{code}-CENTER", centre, level, "centre", code))
            rows += [(f"{code}-{key}", f"{name}{dept}", level, "department", code)
                     for key, dept in DEPARTMENTS]
    return [dict(zip(("code", "name", "level", "kind", "territory"), row, strict=True)) for row in rows]


def _rules(territories: list[dict]) -> list[tuple[str, str, str | None, str]]:
    """(territory code, level, category code or None, unit code) for the whole city."""
    rules = []
    for t in territories:
        code, level = t["code"], t["level"]
        if level in ("village", "township"):
            rules.append((code, level, None, code))
        elif level in ("county", "city"):
            rules.append((code, level, None, f"{code}-CENTER"))
            rules += [(code, level, category, f"{code}-{dept}")
                      for category, _, _, dept in CATEGORIES if dept]
    return rules


def _upsert(model, rows: list[dict]) -> dict[str, object]:
    """Create the rows missing by code, set the described values on the others; by code."""
    found = {row.code: row for row in db.session.scalars(
        select(model).where(model.code.in_([values["code"] for values in rows])))}
    for values in rows:
        row = found.get(values["code"])
        if row is None:
            found[values["code"]] = row = model(**values)
            db.session.add(row)
        for key, value in values.items():
            if getattr(row, key) != value:
                setattr(row, key, value)
    db.session.flush()
    return found


def _load_territories(rows: list[dict]) -> dict[str, Territory]:
    """Level by level, so that each level knows its parents' ids and paths."""
    loaded: dict[str, Territory] = {}
    for level in ("city", "county", "township", "village", "grid"):
        batch = []
        for t in (t for t in rows if t["level"] == level):
            parent = loaded.get(t["parent"])
            batch.append({"code": t["code"], "name": t["name"], "level": level,
                          "parent_id": parent.id if parent else None,
                          "path": f"{parent.path if parent else '/'}{t['code']}/"})
        loaded |= _upsert(Territory, batch)
    return loaded


def _load_rules(rules, territories, categories, units) -> None:
    keys = {(r.territory_id, r.level, r.category_id): r for r in db.session.scalars(
        select(RoutingRule).where(RoutingRule.territory_id.in_([t.id for t in territories.values()])))}
    for territory_code, level, category_code, unit_code in rules:
        category_id = categories[category_code].id if category_code else None
        key, unit_id = (territories[territory_code].id, level, category_id), units[unit_code].id
        rule = keys.get(key)
        if rule is None:
            db.session.add(RoutingRule(territory_id=key[0], level=level, category_id=category_id,
                                       unit_id=unit_id))
        elif rule.unit_id != unit_id:
            rule.unit_id = unit_id


def _load_users(units: dict[str, Unit]) -> None:
    """Create missing users (one argon2 hash, shared) and add missing memberships."""
    existing = {u.username: u for u in db.session.scalars(
        select(User).where(User.username.in_([username for username, _, _ in USERS])))}
    password_hash = None
    for username, display_name, memberships in USERS:
        user = existing.get(username)
        if user is None:
            password_hash = password_hash or hash_password(DEMO_PASSWORD)
            user = User(username=username, display_name=display_name, password_hash=password_hash)
            db.session.add(user)
        held = {(m.unit_id, m.role) for m in user.memberships}
        for code, role in memberships:
            if (units[code].id, role) not in held:
                user.memberships.append(Membership(unit_id=units[code].id, role=role))


def load_demo() -> list[str]:
    """Load (or complete) the demo city; return the lines to print: a summary and the logins."""
    territory_rows = _territories()
    unit_rows = _units(territory_rows)
    territories = _load_territories(territory_rows)
    categories = _upsert(Category, [{"code": code, "name": name, "klass": klass}
                                    for code, name, klass, _ in CATEGORIES])
    units = _upsert(Unit, [{**{k: v for k, v in u.items() if k != "territory"},
                            "territory_id": territories[u["territory"]].id} for u in unit_rows])
    rules = _rules(territory_rows)
    _load_rules(rules, territories, categories, units)
    _load_users(units)
    db.session.commit()

    count = {level: sum(t["level"] == level for t in territory_rows)
             for level in ("county", "township", "village", "grid")}
    lines = [f"Demo city {CITY[1]} ({CITY[0]}): {count['county']} districts/counties, "
             f"{count['township']} streets/townships, {count['village']} communities/villages, "
             f"{count['grid']} grids; {len(CATEGORIES)} categories, {len(unit_rows)} units, "
             f"{len(rules)} routing rules.",
             f"Demo logins (password for all: {DEMO_PASSWORD}):"]
    for username, display_name, memberships in USERS:
        unit_names = ", ".join(dict.fromkeys(units[code].name for code, _ in memberships))
        roles = ", ".join(dict.fromkeys(role for _, role in memberships))
        lines.append(f"  {username:<18} {display_name} — {unit_names} — {roles}")
    return lines
