"""A GET whose replica broke under it is answered again, from the primary, instead of failing.

``Database.read()`` marks such a replica down and raises ``ReplicaFailed`` (see db/database.py);
the route's work is lost but it only read, so repeating the whole request is safe, and the repeat
cannot reach the broken replica. Only GET and HEAD are repeated, only once, and only when nothing
has been sent to the client yet.
"""

from __future__ import annotations

import logging

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from waterbill.db.database import ReplicaFailed

log = logging.getLogger(__name__)

_REPEATABLE = frozenset({"GET", "HEAD"})


class RepeatReadOnReplicaFailure:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in _REPEATABLE:
            await self.app(scope, receive, send)
            return
        started = False
        received: list[Message] = []

        async def recording_receive() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                received.append(message)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, recording_receive, tracking_send)
        except ReplicaFailed as failure:
            if started:
                raise
            log.warning("%s; repeating %s %s", failure, scope["method"], scope["path"])
            await self.app(scope, _replay(received, receive), send)


def _replay(received: list[Message], receive: Receive) -> Receive:
    """The request body the first attempt read, then the client's channel as it is."""
    pending = list(received)

    async def replaying_receive() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return replaying_receive
