"""``waterbill worker``: delivers the outbox, at most once per event, recipient and channel.

A row moves queued → claimed → sending → sent. Claiming (a short transaction, ``FOR UPDATE SKIP
LOCKED`` on PostgreSQL) gives it to one worker for a lease. ``sending`` is committed at the last
moment the message can still be held back (before SMTP DATA, before the SMS gateway's POST):

* a failure before that point, or a refusal the server states, returns the row to the queue with a
  doubling wait, and after ``WATERBILL_NOTIFY_MAX_ATTEMPTS`` tries dead-letters it (``failed``);
* a worker killed before that point leaves ``claimed``: after the lease the row is queued again;
* a worker killed after it (the server may have the mail) leaves ``sending``: after the lease the
  row becomes ``uncertain`` and is never sent again. That window is one SMTP DATA exchange; the
  Message-ID, derived from the idempotency key, lets mailboxes drop a copy should an operator
  re-queue such a row by hand.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from datetime import date, datetime, timedelta
from typing import Any

from waterbill import clock
from waterbill.auth.identity import pseudonymous_id
from waterbill.calendar import YearMonth
from waterbill.config import Settings
from waterbill.db.database import Database
from waterbill.notifications import repository
from waterbill.notifications.channels import (
    ClaimLost,
    DeliveryUnknown,
    HttpSmsSender,
    NotDelivered,
    Outgoing,
    Sender,
    SmtpSender,
)
from waterbill.notifications.domain import ALL, CONFIRM, backoff, confirm_token, unsubscribe_token
from waterbill.notifications.messages import Facts, Links, compose
from waterbill.presentation.templates import LocalisedTemplates

log = logging.getLogger(__name__)


def senders_from(settings: Settings) -> dict[str, Sender]:
    senders: dict[str, Sender] = {}
    if settings.smtp:
        senders["email"] = SmtpSender(
            settings.smtp, mail_from=settings.mail_from, timeout=settings.smtp_timeout
        )
    if settings.sms_gateway_url:
        senders["sms"] = HttpSmsSender(
            settings.sms_gateway_url,
            token=settings.sms_gateway_token.get_secret_value(),
            timeout=settings.smtp_timeout,
        )
    return senders


class Worker:
    def __init__(
        self,
        *,
        database: Database,
        settings: Settings,
        senders: dict[str, Sender],
        name: str | None = None,
    ) -> None:
        self.database = database
        self.settings = settings
        self.senders = senders
        self.name = name or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.templates = LocalisedTemplates("waterbill.notifications")
        self.key = settings.secret_bytes
        self._pruned_on: date | None = None

    def run_once(self, now: datetime | None = None) -> int:
        """Claims one batch of due rows and delivers it; returns how many rows it handled."""
        at = now or clock.now()
        lease = timedelta(seconds=self.settings.notify_lease_seconds)
        with self.database.write() as db:
            requeued, uncertain = repository.release_stale_claims(
                db, before=at - lease, max_attempts=self.settings.notify_max_attempts
            )
        if requeued or uncertain:
            log.warning(
                "notifications: %d stale claims queued again, %d uncertain", requeued, uncertain
            )
        if self._pruned_on != at.date():
            # Once a day per worker: finished rows beyond the retention, addresses and all.
            retention = timedelta(days=self.settings.notify_retention_days)
            with self.database.write() as db:
                repository.prune(db, before=at - retention)
            self._pruned_on = at.date()
        with self.database.write() as db:
            claimed = repository.claim(
                db, worker=self.name, now=at, limit=self.settings.notify_batch_size
            )
        try:
            for outbox_id in claimed:
                self._deliver(outbox_id, now)
        finally:
            for sender in self.senders.values():
                sender.close()
        return len(claimed)

    def run(self, stop: threading.Event, interval: float = 1.0) -> None:
        """Until ``stop`` is set; a stop request lets the message in hand finish."""
        while not stop.is_set():
            try:
                handled = self.run_once()
            except Exception:
                log.exception("notifications: a delivery round failed")
                handled = 0
            if not handled:
                stop.wait(interval)

    def _deliver(self, outbox_id: int, now: datetime | None) -> None:
        with self.database.read(primary=True) as db:
            row = repository.delivery(db, outbox_id)
            if row.status != "claimed" or row.claimed_by != self.name:
                return
            reason = self._why_not(db, row)
            facts = None if reason else self._facts(db, row)
        if reason is not None or facts is None:
            self._move(row, "claimed", status="skipped", last_error=reason or "event is gone")
            return
        sender = self.senders[row.channel]
        try:
            message = self._compose(row, facts)
        except Exception as error:
            # A message that cannot be written will not be written on the next try either.
            self._move(row, "claimed", status="failed", last_error=type(error).__name__)
            log.exception("notifications: row %d cannot be composed", outbox_id)
            return
        state = "claimed"

        def before_handover() -> bool:
            nonlocal state
            if self._move(row, "claimed", status="sending"):
                state = "sending"
                return True
            return False

        try:
            sender.send(message, before_handover)
        except ClaimLost:
            log.warning("notifications: row %d was taken over by another worker", outbox_id)
        except DeliveryUnknown as error:
            self._move(row, state, status="uncertain", last_error=error.reason)
            log.error("notifications: row %d uncertain (%s)", outbox_id, error.reason)
        except NotDelivered as error:
            at = now or clock.now()
            if error.permanent or row.attempts >= self.settings.notify_max_attempts:
                self._move(row, state, status="failed", last_error=error.reason)
                log.error("notifications: row %d dead-lettered (%s)", outbox_id, error.reason)
            else:
                wait = backoff(row.attempts, base_seconds=self.settings.notify_backoff_seconds)
                self._move(
                    row,
                    state,
                    status="queued",
                    next_attempt_at=at + wait,
                    claimed_by=None,
                    claimed_at=None,
                    last_error=error.reason,
                )
                log.info("notifications: row %d retried in %s (%s)", outbox_id, wait, error.reason)
        else:
            self._move(row, "sending", status="sent", sent_at=now or clock.now(), last_error=None)
            log.info(
                "notifications: %s %s sent for %s",
                row.event,
                row.channel,
                row.code or row.citizen_id,
            )

    def _compose(self, row: Any, facts: Facts) -> Outgoing:
        return compose(
            templates=self.templates,
            event=row.event,
            event_key=row.event_key,
            recipient_id=row.recipient_id,
            channel=row.channel,
            address=row.address,
            language=row.language,
            facts=facts,
            links=self._links(row),
            mail_from=self.settings.mail_from,
        )

    def _move(self, row: Any, expected: str, **values: Any) -> bool:
        with self.database.write() as db:
            return repository.move(db, row.id, worker=self.name, expected=expected, **values)

    def _why_not(self, db: Any, row: Any) -> str | None:
        """Why this row must not be sent now, or None. Settings may have changed since it was
        queued: the address, its confirmation, the subscription, even the account's holder."""
        if row.channel not in self.senders:
            return f"{row.channel} channel is off"
        current = row.email if row.channel == "email" else row.phone
        if current is None or current.lower() != row.address.lower():
            return "address changed"
        if row.event == CONFIRM:
            return None
        confirmed = row.email_confirmed_at if row.channel == "email" else row.phone_confirmed_at
        if confirmed is None:
            return "address not confirmed"
        if not repository.still_subscribed(db, row.recipient_id, row.subscriber_id, row.event):
            return "unsubscribed"
        if pseudonymous_id(row.holder_fin, key=self.key) != row.citizen_id:
            return "no longer the holder"
        return None

    def _facts(self, db: Any, row: Any) -> Facts | None:
        month = YearMonth.parse(row.period) if row.period else None
        if row.event == CONFIRM:
            return Facts()
        if row.event in ("bill_issued", "leak_warning"):
            amount, volume = repository.bill_figures(db, row.subscriber_id, row.period)
            if amount is None:
                return None
            return Facts(code=row.code, month=month, amount=amount, volume=volume)
        if row.event == "payment_posted":
            figures = repository.payment_figures(db, row.ref)
            if figures is None:
                return None
            return Facts(code=row.code, amount=figures[0], paid_at=figures[1])
        period = repository.dispute_period(db, row.ref)
        month = YearMonth.parse(period) if period else None
        return Facts(code=row.code, month=month, reference=row.ref)

    def _links(self, row: Any) -> Links:
        base = self.settings.base_url
        if row.event == CONFIRM:
            token = confirm_token(
                self.key, recipient_id=row.recipient_id, channel=row.channel, address=row.address
            )
            unsubscribe = unsubscribe_token(
                self.key, recipient_id=row.recipient_id, subscriber_id=0, event=ALL
            )
            return Links(
                base_url=base,
                unsubscribe=f"{base}/notifications/unsubscribe/{unsubscribe}",
                confirm=f"{base}/notifications/confirm/{token}",
            )
        unsubscribe = unsubscribe_token(
            self.key,
            recipient_id=row.recipient_id,
            subscriber_id=row.subscriber_id,
            event=row.event,
        )
        return Links(base_url=base, unsubscribe=f"{base}/notifications/unsubscribe/{unsubscribe}")
