"""Chinese display names for codes the pages show (the code itself stays visible in small print)."""
from flask import Flask

ROLES = {"registrar": "登记员", "dispatcher": "派单员", "handler": "承办人", "unit_reviewer": "单位审核员",
         "platform_supervisor": "平台督办员", "leader": "领导", "administrator": "系统管理员",
         "process_designer": "流程设计员", "auditor": "审计员"}
STATUSES = {"open": "办理中", "closed": "已办结"}
EVENTS = {"case_created": "登记", "case_closed": "办结", "process_started": "流程启动",
          "process_completed": "流程结束", "task_created": "生成任务", "task_claimed": "签收",
          "task_completed": "完成任务", "task_cancelled": "任务取消", "timer_fired": "计时到期"}
LEVELS = {"city": "市", "county": "县（区）", "township": "乡镇（街道）", "village": "村（社区）",
          "grid": "网格", "compound": "小区", "building": "楼栋", "group": "组（屯）", "department": "部门"}
UNIT_KINDS = {"committee": "村（居）委会", "office": "机关科室", "department": "职能部门",
              "centre": "12345 中心"}
CLASSES = {"livelihood": "民生类", "development": "发展类", "enforcement": "执法类"}
IMPORT_KINDS = {"users": "用户", "territories": "行政区划", "units": "承办单位", "categories": "诉求分类",
                "routing-rules": "派单规则"}
PHASES = {"dispatch": "派单", "sign_for": "签收", "first_contact": "首次联系", "handling": "办理",
          "unit_review": "单位审核", "platform_review": "平台审核", "rating_window": "评价期",
          "extension_max": "延期上限"}
REQUEST_TYPES = {"consultation": "咨询", "help": "求助", "complaint": "投诉", "report": "举报",
                 "suggestion": "建议"}
COMPLEXITIES = {"simple": "简单", "complex": "复杂", "especially_complex": "特别复杂"}
LIMIT_UNITS = {"working_days": "工作日", "calendar_days": "自然日", "working_hours": "工作小时",
               "hours": "小时", "minutes": "分钟"}
OVERRIDE_KINDS = {"holiday": "放假", "workday": "上班（调休）"}
LIGHTS = {"blue": "蓝灯", "yellow": "黄灯", "red": "红灯"}

_TABLES = {"role_label": ROLES, "status_label": STATUSES, "event_label": EVENTS, "level_label": LEVELS,
           "kind_label": UNIT_KINDS, "class_label": CLASSES, "import_kind_label": IMPORT_KINDS,
           "phase_label": PHASES, "request_type_label": REQUEST_TYPES, "complexity_label": COMPLEXITIES,
           "limit_unit_label": LIMIT_UNITS, "override_kind_label": OVERRIDE_KINDS, "light_label": LIGHTS}


def choices(codes, table: dict[str, str]) -> list[tuple[str, str]]:
    """(code, label) pairs for a <select>."""
    return [(code, table.get(code, code)) for code in codes]


def init_app(app: Flask) -> None:
    for name, table in _TABLES.items():
        app.add_template_filter(lambda code, table=table: table.get(code, code or ""), name)
