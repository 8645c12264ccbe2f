"""The message of every refusal, in the user's language, by the refusal's message id."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from waterbill.calendar import YearMonth
from waterbill.errors import ServiceError
from waterbill.i18n.catalogs import gettext_for
from waterbill.i18n.formatting import format_money, format_month, format_volume
from waterbill.i18n.marker import _

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
    "malformed_rating": _("Choose how easy it was: a number from 1 (very hard) to 5 (very easy)."),
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
    # No-debt certificates
    "debt_outstanding": _(
        "The account %(code)s has a debt of %(debt)s, so no no-debt certificate can be issued. "
        "Pay it with the subscriber code %(code)s in a bank app or at a bank, a post office "
        "(Azərpoçt), a payment terminal (MilliÖn, E-manat) or an ASAN Kommunal centre: the "
        "payment counts at once, and you can ask for the certificate again. Questions: 955."
    ),
    "forbidden.certificate": _(
        "Only the holder of the account %(code)s, or a citizen the holder authorised, may get "
        "its no-debt certificate."
    ),
    "forbidden.certificate_file": _(
        "This certificate was issued to another citizen. Anyone can check it by its verification "
        "code; the holder of the account can get a new one."
    ),
    "rate_limited.dispute_daily": _(
        "You can file at most %(limit)s requests a day. Please try again tomorrow."
    ),
    # Meter readings (issue 23)
    "unauthenticated.api_key": _("The API key is missing, wrong or revoked."),
    "no_meter": _("This account has no meter whose reading could be submitted."),
    "no_meter.smart_card": _(
        "This account has a prepaid smart-card meter: it is billed from the card, so there is "
        "no reading to submit."
    ),
    "no_meter.none": _(
        "This account has no water meter: it is billed by the norm per person, so there is no "
        "reading to submit."
    ),
    "malformed_reading": _("Write the reading as a number of cubic metres, for example 1234,567."),
    "malformed_reading.range": _("A meter reading is from 0 to %(maximum)s m³."),
    "malformed_reading.decimals": _(
        "A meter reading has at most 3 digits after the comma (litres)."
    ),
    "malformed_date": _("Write the date as YYYY-MM-DD, for example 2026-12-18."),
    "outside_window": _("This date cannot be used for a meter reading."),
    "outside_window.future": _(
        "The date of the reading is in the future. Give the day you read the meter."
    ),
    "outside_window.too_old": _(
        "The reading is older than %(days)s days. Read the meter again and send today's reading."
    ),
    "reading_decreased": _(
        "The reading is lower than the last billed reading, %(last)s m³ (%(period)s). Check "
        "the digits; if the meter was replaced, call 955."
    ),
    "reading_implausible": _(
        "The reading means %(used)s m³ used in %(days)s days, more than %(factor)s times your "
        "usual use (at most %(limit)s m³). Check the digits; if it is right, confirm it and "
        "Azərsu staff will check it."
    ),
    "forbidden.reading": _(
        "Only the account holder, or a person the holder has authorised, can submit a meter "
        "reading on this subscriber code."
    ),
    "rate_limited.readings_daily": _(
        "At most %(limit)s readings a day can be sent for one account. Please try again tomorrow."
    ),
    "reading_not_found": _("No such reading was found. Check the reference number."),
    "malformed_cursor": _("The cursor is a whole number: the last one an export gave, or 0."),
    # Notifications
    "malformed_email": _("The e-mail address is not valid. Check it and try again."),
    "malformed_phone": _(
        "Write the mobile number with the country code, for example +994 50 123 45 67."
    ),
    "unknown_event": _("Unknown notification %(event)s. Choose from: %(events)s."),
    "invalid_link": _(
        "This link is not valid any more: the address may have changed since the mail was sent. "
        "Open the notification settings to send a new one."
    ),
    "forbidden.notifications_code": _(
        "Notifications can be set only for the accounts you hold; %(code)s is not one of them."
    ),
    # Payment channels (waterbill.ingest.channels)
    "channel_exists": _("A payment channel named %(name)s already exists."),
    "unknown_channel": _("No active payment channel is named %(name)s."),
}


# Parameters that carry money; any other Decimal in a refusal is a volume of water.
MONEY_PARAMS = frozenset({"debt"})


def _localised(name: str, value: Any, locale: str) -> Any:
    if isinstance(value, Decimal):
        return format_money(value, locale) if name in MONEY_PARAMS else format_volume(value, locale)
    if isinstance(value, YearMonth):
        return format_month(value, locale)
    return value


def error_message(
    message_id: str, params: Mapping[str, Any] | None = None, locale: str = "az"
) -> str:
    """The text of ``message_id`` (refined by ``params["reason"]`` when there is one)."""
    # Money, volumes and months in a refusal read as the page shows them: 12,50 ₼, 1.000,000 and
    # noyabr 2026.
    params = {name: _localised(name, value, locale) for name, value in (params or {}).items()}
    # Without its values, a refined text falls back to the code's own general one.
    general = ERROR_MESSAGES.get(message_id.partition(".")[0], ERROR_MESSAGES["internal_error"])
    template = ERROR_MESSAGES.get(f"{message_id}.{params.get('reason')}") or ERROR_MESSAGES.get(
        message_id, general
    )
    text = gettext_for(locale, template)
    try:
        return text % params if "%(" in text else text
    except (KeyError, ValueError, TypeError):
        return gettext_for(locale, general)


def refusal_message(refusal: ServiceError, locale: str = "az") -> str:
    """The message of a refusal, with its values, in ``locale``."""
    return error_message(refusal.message_id, refusal.params, locale)
