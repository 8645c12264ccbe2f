"""What a notification says, in the citizen's language: a subject, a plain-text and an HTML part.

Only what the holder already sees on the statement: the subscriber code, the month, an amount or
a volume, a dispute's reference. Never a name, an address or an answer's text (that stays behind
the sign-in).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from email.utils import parseaddr

from waterbill.calendar import YearMonth
from waterbill.i18n.catalogs import gettext_for
from waterbill.i18n.formatting import format_instant, format_money, format_month, format_volume
from waterbill.i18n.marker import _
from waterbill.notifications.channels import Outgoing
from waterbill.notifications.domain import CONFIRM, message_id
from waterbill.presentation.templates import LocalisedTemplates

SUBJECTS = {
    CONFIRM: _("Confirm your address for Azərsu notifications"),
    "bill_issued": _("Water bill for %(month)s: %(amount)s (subscriber %(code)s)"),
    "payment_posted": _("Payment of %(amount)s received (subscriber %(code)s)"),
    "dispute_answered": _("Your request %(reference)s has been answered"),
    "leak_warning": _("Possible water leak in %(month)s (subscriber %(code)s)"),
}


@dataclass(frozen=True, slots=True)
class Facts:
    """What one event says, read when it is sent."""

    code: str | None = None
    month: YearMonth | None = None
    amount: Decimal | None = None
    volume: Decimal | None = None
    paid_at: datetime | None = None
    reference: str | None = None


@dataclass(frozen=True, slots=True)
class Links:
    base_url: str
    unsubscribe: str
    confirm: str | None = None


def compose(
    *,
    templates: LocalisedTemplates,
    event: str,
    event_key: str,
    recipient_id: int,
    channel: str,
    address: str,
    language: str,
    facts: Facts,
    links: Links,
    mail_from: str,
) -> Outgoing:
    values = {
        "code": facts.code or "",
        "month": format_month(facts.month, language) if facts.month else "",
        "amount": format_money(facts.amount, language) if facts.amount is not None else "",
        "volume": format_volume(facts.volume, language) if facts.volume is not None else "",
        "paid_at": format_instant(facts.paid_at, language) if facts.paid_at else "",
        "reference": facts.reference or "",
    }
    subject = gettext_for(language, SUBJECTS[event]) % values
    context = {
        "event": event,
        "subject": subject,
        "values": values,
        "links": links,
        "statement_url": f"{links.base_url}/statements/{facts.code}" if facts.code else "",
        "dispute_url": f"{links.base_url}/disputes/{facts.reference}" if facts.reference else "",
        "settings_url": f"{links.base_url}/me/notifications",
    }
    text = templates.render(f"mail/{channel}.txt", locale=language, **context)
    html = templates.render("mail/email.html", locale=language, **context)
    domain = parseaddr(mail_from)[1].rpartition("@")[2] or "waterbill"
    key_header = message_id(event_key, recipient_id, channel, domain)
    headers = {"Message-ID": key_header}
    if channel == "email":
        headers |= {
            "List-Unsubscribe": f"<{links.unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        }
    return Outgoing(
        to=address,
        subject=subject,
        text=text,
        html=html,
        key=key_header.strip("<>").split("@")[0],
        language=language,
        headers=headers,
    )
