"""The JSON of meter readings: what a citizen sends and gets back, what the billing system
collects. Field names of ``ReadingIn`` and ``ReadingOut`` are fixed by the contract."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

from waterbill.readings.domain import FollowedReading, Reading, Status


class ReadingIn(BaseModel):
    """The body of ``POST /api/v1/readings`` (JSON, or a multipart form with a ``photo``)."""

    subscriber_code: str = Field(examples=["0104410203"])
    reading: str = Field(description="m³, up to 3 decimals", examples=["1234.567"])
    read_on: date = Field(description="The day the meter was read (Baku)")
    confirm_implausible: bool = Field(
        default=False,
        description="Send a reading refused as reading_implausible anyway (staff check it first)",
    )


class ReadingBody(BaseModel):
    reference: str = Field(examples=["SAY-2026-0000123"])
    subscriber_code: str
    reading: str = Field(examples=["1234.567"])
    read_on: date
    status: Status = Field(
        description="received; used (billed on the meter); estimated (the bill was still an "
        "estimate or the norm); superseded (a later reading for the same month replaced it)"
    )
    for_period: str = Field(description="The bill it is for, YYYY-MM", examples=["2026-12"])
    in_window: bool = Field(description="Submitted within that month's reading window")
    implausible: bool
    has_photo: bool
    submitted_at: datetime

    @classmethod
    def of(cls, followed: FollowedReading) -> ReadingBody:
        reading = followed.reading
        return cls(
            reference=reading.reference,
            subscriber_code=reading.code,
            reading=f"{reading.reading:.3f}",
            read_on=reading.read_on,
            status=followed.status,
            for_period=str(reading.for_period),
            in_window=reading.in_window,
            implausible=reading.implausible,
            has_photo=reading.has_photo,
            submitted_at=reading.submitted_at,
        )


class ReadingOut(BaseModel):
    reading: ReadingBody


class ExportedReading(BaseModel):
    """One reading as the billing system collects it (the CSV has the same columns)."""

    cursor: str = Field(description="Pass the last one as ?since= next time", examples=["123"])
    reference: str
    subscriber_code: str
    reading: str
    read_on: date
    for_period: str
    in_window: bool
    implausible: bool
    meter_serial: str | None
    last_billed_reading: str | None
    submitted_at: datetime
    photo_url: str | None = Field(description="For staff signed in with the admin role")

    @classmethod
    def of(cls, reading: Reading, *, base_url: str) -> ExportedReading:
        return cls(
            cursor=str(reading.cursor),
            reference=reading.reference,
            subscriber_code=reading.code,
            reading=f"{reading.reading:.3f}",
            read_on=reading.read_on,
            for_period=str(reading.for_period),
            in_window=reading.in_window,
            implausible=reading.implausible,
            meter_serial=reading.meter_serial,
            last_billed_reading=None
            if reading.last_billed is None
            else f"{reading.last_billed:.3f}",
            submitted_at=reading.submitted_at,
            photo_url=f"{base_url}/admin/readings/{reading.reference}/photo"
            if reading.has_photo
            else None,
        )


class ExportOut(BaseModel):
    readings: list[ExportedReading]
    next_cursor: str = Field(description="The cursor to resume after; the same when empty")
    more: bool = Field(description="More readings wait after next_cursor")


EXPORT_COLUMNS = tuple(ExportedReading.model_fields)
