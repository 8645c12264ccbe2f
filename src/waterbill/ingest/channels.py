"""The payment channels: each posts payments to the API with its own key, issued once and
revocable at once; only the key's hash is stored."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from sqlalchemy import Connection

from waterbill import clock
from waterbill.errors import ServiceError
from waterbill.ingest import repository
from waterbill.ingest.columns import CHANNEL_LENGTH


class InvalidApiKey(ServiceError):
    code = "unauthenticated"
    status = 401
    message_id = "unauthenticated.api_key"


class ChannelExists(ServiceError):
    code = "channel_exists"
    status = 409


class UnknownChannel(ServiceError):
    code = "unknown_channel"
    status = 404


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def add_channel(*, db: Connection, name: str, now: datetime | None = None) -> str:
    """Register a channel (or give a revoked one a new key); returns the key, shown only once."""
    name = name.strip()
    if not name or len(name) > CHANNEL_LENGTH:
        raise ValueError("a channel name has 1 to 40 characters")
    key = secrets.token_urlsafe(32)
    if not repository.add_channel(db, name=name, key_hash=hash_key(key), now=now or clock.now()):
        raise ChannelExists(name=name)
    return key


def revoke_channel(*, db: Connection, name: str, now: datetime | None = None) -> None:
    if not repository.revoke_channel(db, name=name.strip(), now=now or clock.now()):
        raise UnknownChannel(name=name)


def authenticate_channel(*, db: Connection, key: str | None) -> str:
    """The name of the active channel that owns ``key``; InvalidApiKey otherwise."""
    if not key:
        raise InvalidApiKey()
    name = repository.channel_by_key_hash(db, hash_key(key))
    if name is None:
        raise InvalidApiKey()
    return name
