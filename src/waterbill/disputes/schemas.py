"""Dispute requests as JSON: separate shapes for the citizen and for staff, never rows."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from waterbill.disputes.domain import (
    ANSWER_MAX_LENGTH,
    TEXT_MAX_LENGTH,
    Dispute,
    DisputeEvent,
    DisputeWithHistory,
)

StatusOut = Literal["received", "under_review", "answered", "closed"]
ReasonOut = Literal[
    "meter_reading_wrong",
    "norm_applied_with_meter",
    "payment_not_shown",
    "recalculation_unclear",
    "other",
]


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True)


class DisputeEventOut(_Out):
    from_status: StatusOut | None
    to_status: StatusOut
    actor_kind: Literal["citizen", "staff"]
    note: str | None
    at: datetime

    @classmethod
    def from_event(cls, event: DisputeEvent) -> DisputeEventOut:
        return cls(
            from_status=event.from_status,
            to_status=event.to_status,
            actor_kind=event.actor_kind,
            note=event.note,
            at=event.at,
        )


class DisputeOut(_Out):
    """A request as its citizen sees it: staff are not named, not even by pseudonym."""

    reference: str = Field(examples=["AZS-2026-000123"])
    code: str
    period: str = Field(examples=["2026-09"])
    service: Literal["water", "wastewater"]
    reason: ReasonOut
    text: str
    has_photo: bool
    status: StatusOut
    answer: str | None
    filed_at: datetime
    answered_at: datetime | None
    closed_at: datetime | None

    @classmethod
    def from_dispute(cls, dispute: Dispute) -> DisputeOut:
        return cls(
            reference=dispute.reference,
            code=dispute.code,
            period=str(dispute.period),
            service=dispute.service,
            reason=dispute.reason,
            text=dispute.text,
            has_photo=dispute.has_photo,
            status=dispute.status,
            answer=dispute.answer,
            filed_at=dispute.filed_at,
            answered_at=dispute.answered_at,
            closed_at=dispute.closed_at,
        )


class DisputeDetailOut(DisputeOut):
    history: list[DisputeEventOut]

    @classmethod
    def from_detail(cls, detail: DisputeWithHistory) -> DisputeDetailOut:
        return cls(
            **DisputeOut.from_dispute(detail.dispute).model_dump(),
            history=[DisputeEventOut.from_event(event) for event in detail.history],
        )


class DisputeListOut(_Out):
    disputes: list[DisputeOut]


class StaffEventOut(DisputeEventOut):
    actor: str

    @classmethod
    def from_event(cls, event: DisputeEvent) -> StaffEventOut:
        return cls(**DisputeEventOut.from_event(event).model_dump(), actor=event.actor)


class StaffDisputeOut(DisputeOut):
    """A request as staff see it: with the pseudonymous ids of who filed and who answered."""

    filed_by: str
    answered_by: str | None

    @classmethod
    def from_dispute(cls, dispute: Dispute) -> StaffDisputeOut:
        return cls(
            **DisputeOut.from_dispute(dispute).model_dump(),
            filed_by=dispute.filed_by,
            answered_by=dispute.answered_by,
        )


class StaffDisputeDetailOut(StaffDisputeOut):
    history: list[StaffEventOut]

    @classmethod
    def from_detail(cls, detail: DisputeWithHistory) -> StaffDisputeDetailOut:
        return cls(
            **StaffDisputeOut.from_dispute(detail.dispute).model_dump(),
            history=[StaffEventOut.from_event(event) for event in detail.history],
        )


class StaffDisputeListOut(_Out):
    disputes: list[StaffDisputeOut]
    total: int
    limit: int
    offset: int


class AnswerIn(BaseModel):
    answer: str = Field(description=f"Required; at most {ANSWER_MAX_LENGTH} characters")


class CloseIn(BaseModel):
    note: str | None = Field(default=None, description=f"At most {ANSWER_MAX_LENGTH} characters")


class DisputeFormIn(BaseModel):
    """The multipart form of a new request (the API and the page take the same fields)."""

    code: str
    period: str = Field(examples=["2026-09"])
    service: Literal["water", "wastewater"]
    reason: ReasonOut
    text: str = Field(default="", max_length=TEXT_MAX_LENGTH)
    photo: bytes | None = Field(
        default=None,
        description="JPEG or PNG, at most 5 MB",
        json_schema_extra={"format": "binary"},
    )
