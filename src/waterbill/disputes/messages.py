"""Labels of statuses and reasons, as msgids of the gettext catalogs (az, en, ru).

The refusals' messages are with every other error code in ``waterbill.i18n.messages``.
"""

from __future__ import annotations

from waterbill.i18n.marker import _

STATUS_LABELS: dict[str, str] = {
    "received": _("received"),
    "under_review": _("under review"),
    "answered": _("answered"),
    "closed": _("closed"),
}

REASON_LABELS: dict[str, str] = {
    "meter_reading_wrong": _("The meter reading is wrong"),
    "norm_applied_with_meter": _("Billed by the norm although there is a meter"),
    "payment_not_shown": _("A payment is not shown"),
    "recalculation_unclear": _("The recalculation is not clear"),
    "other": _("Other"),
}

SERVICE_LABELS: dict[str, str] = {"water": _("water supply"), "wastewater": _("wastewater")}
