"""The message for every stable error code, in the user's language."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from waterbill.i18n.catalogs import gettext_for


def _(message: str) -> str:
    """Marks a message for extraction; translation happens when it is shown."""
    return message


ERROR_MESSAGES: dict[str, str] = {
    "malformed_code": _("The subscriber code is not valid."),
    "malformed_code.empty": _("Enter the subscriber code printed on your water bill."),
    "malformed_code.not_digits": _(
        "A subscriber code has digits only. Check the code on your water bill."
    ),
    "malformed_code.length": _(
        "A subscriber code has from %(min_length)s to %(max_length)s digits. "
        "Check the code on your water bill."
    ),
    "unknown_code": _(
        "No subscriber has the code %(code)s. Check the code on your water bill or call 955."
    ),
    "not_household": _(
        "The subscriber %(code)s is not a household. This service is for households only."
    ),
    "malformed_verification_code": _(
        "A verification code has 16 letters and digits, as printed on the document "
        "(for example K7Q4-M2XD-9TPA-3B6C)."
    ),
    "unknown_document": _(
        "No document was issued with this verification code. Check the code on the document."
    ),
    "unauthenticated": _("Sign in through the e-gov portal to use this service."),
    "sign_in_failed": _("The sign-in could not be completed. Please sign in again."),
    "sign_in_unavailable": _(
        "The e-gov sign-in is unavailable right now. Please try again in a few minutes."
    ),
    "malformed_request": _(
        "The request could not be read: its data is damaged or not in the expected format."
    ),
    "forbidden": _("You may not do this."),
    "forbidden.not_holder": _(
        "Only the holder of the account %(code)s, or a citizen the holder authorised, may see "
        "this statement."
    ),
    "forbidden.not_admin": _("Only the ICT department's overseers may see the access log."),
    "malformed_fin": _(
        "A FIN has 7 characters: Latin capital letters (without I and O) and digits."
    ),
    "malformed_fin.own_fin": _("You already see your own accounts in full."),
    "audit_unavailable": _(
        "The service cannot record this request right now, so it shows nothing. "
        "Please try again in a few minutes."
    ),
    "not_found": _("This page does not exist."),
    "validation_error": _("The request is not valid."),
    "method_not_allowed": _("This method is not allowed here."),
    "rate_limited": _("Too many requests. Please wait a minute and try again."),
    "database_unavailable": _(
        "The service is temporarily unavailable. Please try again in a few minutes."
    ),
    "maintenance": _("The service is under maintenance. Please try again later."),
    "internal_error": _("Something went wrong on our side. Please try again later."),
    # Disputes (regulation 3.6)
    "malformed_period": _("Write the month as YYYY-MM, for example 2026-03."),
    "period_outside_statement": _(
        "Only the months shown on the statement can be disputed: %(first)s to %(last)s."
    ),
    "unknown_service": _("Choose the service: water supply or wastewater."),
    "service_not_provided": _("This subscriber does not receive the chosen service."),
    "unknown_reason": _("Choose the reason for the request from the list."),
    "unknown_status": _("Choose a status from the list."),
    "text_required": _("Describe the problem in a few words."),
    "text_required.answer": _("Write the answer to the citizen."),
    "text_too_long": _("The text may have at most %(max_length)s characters (it has %(length)s)."),
    "text_not_printable": _(
        "The text contains invisible control characters. Remove them and send it again."
    ),
    "photo_too_large": _("The photo may be at most %(max_mb)s MB."),
    "photo_too_large.pixels": _(
        "The photo has too many pixels: at most %(max_megapixels)s megapixels."
    ),
    "photo_wrong_type": _("Only a JPEG or PNG photo can be uploaded."),
    "photo_undecodable": _(
        "The photo cannot be read: the file is damaged or incomplete. Choose another one."
    ),
    "dispute_already_open": _(
        "There is already an open request on this month and service: %(reference)s."
    ),
    "dispute_not_found": _("No such request was found. Check the reference number."),
    "dispute_status_conflict": _(
        "The request's status has changed and this step is no longer possible. Reload the page."
    ),
    "forbidden.dispute": _(
        "Only the account holder, or a person the holder has authorised, can file a request "
        "on this subscriber code."
    ),
    "forbidden.not_staff": _("Only Azərsu staff can open this page."),
    "rate_limited.dispute_daily": _(
        "You can file at most %(limit)s requests a day. Please try again tomorrow."
    ),
}


def error_message(code: str, params: Mapping[str, Any] | None = None, locale: str = "az") -> str:
    """The message for ``code`` (refined by ``params["reason"]`` when there is one)."""
    params = dict(params or {})
    template = ERROR_MESSAGES.get(f"{code}.{params.get('reason')}") or ERROR_MESSAGES.get(
        code, ERROR_MESSAGES["internal_error"]
    )
    text = gettext_for(locale, template)
    try:
        return text % params if "%(" in text else text
    except (KeyError, ValueError, TypeError):
        return gettext_for(locale, ERROR_MESSAGES.get(code, ERROR_MESSAGES["internal_error"]))
