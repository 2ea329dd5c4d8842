"""How personal data looks to staff who have not explicitly revealed it."""


def mask_phone(phone: str | None) -> str | None:
    """138****5678: operator prefix and last four digits stay, enough to tell callers apart."""
    if not phone:
        return phone
    if len(phone) < 8:
        return "*" * len(phone)
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]


def mask_id_number(id_number: str | None) -> str | None:
    """2109**********1234: region prefix and last four characters stay."""
    if not id_number:
        return id_number
    if len(id_number) < 10:
        return "*" * len(id_number)
    return id_number[:4] + "*" * (len(id_number) - 8) + id_number[-4:]
