"""What the platform does not accept (不予受理, R7), and where to go instead — shown before a
citizen submits, and the reason given when a request matches."""
from app.i18n import N_

#: matter -> where to go instead (translated when shown)
OUT_OF_SCOPE = {
    "emergency": N_("This is an emergency: call 110 (police), 119 (fire), 120 (ambulance) or 122 "
                    "(traffic accidents) now."),
    "litigation": N_("Cases before a court are handled by the people's court."),
    "arbitration": N_("Disputes under arbitration go to the arbitration commission."),
    "discipline_inspection": N_("Reports on officials' discipline go to the discipline inspection "
                                "and supervision commission (12388)."),
    "administrative_review": N_("Administrative reviews are applied for at the administrative review "
                                "office."),
    "information_disclosure": N_("Requests for government information go to the government "
                                 "information disclosure office."),
    "petition": N_("Matters already in the letters-and-visits (信访) channel continue there."),
    "military": N_("Military matters are handled by the military authorities."),
}
MATTERS = ("ordinary", *OUT_OF_SCOPE)
