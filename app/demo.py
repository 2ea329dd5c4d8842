"""Demo data for `make run`: a few units and one login per role, loaded once."""
from sqlalchemy import select

from app.accounts.models import Membership, User
from app.accounts.security import hash_password
from app.extensions import db
from app.organisation.models import Unit

DEMO_PASSWORD = "huiyin-demo"

UNITS = [
    ("210900-CENTER", "阜新市12345接诉即办中心", "city"),
    ("210902-CENTER", "海州区诉求服务中心", "county"),
    ("210902001", "海州区和平街道办事处", "township"),
    ("210902001001", "和平街道新兴社区居委会", "village"),
]

USERS = [
    ("admin", "系统管理员", [("210900-CENTER", "administrator"), ("210900-CENTER", "process_designer")]),
    ("registrar", "话务员 王芳", [("210900-CENTER", "registrar")]),
    ("dispatcher", "交办员 李强", [("210900-CENTER", "dispatcher")]),
    ("supervisor", "平台督办员 赵敏", [("210900-CENTER", "platform_supervisor")]),
    ("township", "街道承办人 陈刚", [("210902001", "handler"), ("210902001", "unit_reviewer")]),
    ("village", "社区承办人 刘洋", [("210902001001", "handler")]),
]


def load_demo() -> list[str]:
    """Create the demo units and users unless they exist; return the lines to print."""
    if db.session.scalar(select(User).where(User.username == "admin")) is None:
        units = {}
        for code, name, level in UNITS:
            units[code] = Unit(code=code, name=name, level=level)
            db.session.add(units[code])
        password_hash = hash_password(DEMO_PASSWORD)
        for username, display_name, memberships in USERS:
            user = User(username=username, display_name=display_name, password_hash=password_hash)
            user.memberships = [Membership(unit=units[code], role=role) for code, role in memberships]
            db.session.add(user)
        db.session.commit()
    lines = [f"Demo logins (password for all: {DEMO_PASSWORD}):"]
    for username, display_name, memberships in USERS:
        roles = ", ".join(sorted({role for _, role in memberships}))
        lines.append(f"  {username:<12} {display_name} — {roles}")
    return lines
