"""The signed-in citizen, as the e-gov single sign-on vouches for them.

The FIN identifies the person; logs and the audit trail carry only a pseudonymous id, a keyed hash
of the FIN, so that a leaked log names nobody while the ICT department can still follow one citizen.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Literal

# How the portal authenticated the citizen (regulation 3.2.1), from the ID token's ``amr``.
AuthMethod = Literal["e_signature", "asan_imza", "password"]
AUTH_METHODS: tuple[AuthMethod, ...] = ("e_signature", "asan_imza", "password")


def pseudonymous_id(fin: str, *, key: bytes) -> str:
    """A stable, non-reversible id for a FIN: HMAC-SHA256 under the service's secret key."""
    digest = hmac.new(key, fin.encode("ascii"), hashlib.sha256).hexdigest()
    return f"c_{digest[:32]}"


@dataclass(frozen=True, slots=True)
class Citizen:
    fin: str
    surname: str
    name: str
    patronymic: str
    auth_method: AuthMethod
    pseudonym: str

    @property
    def display_name(self) -> str:
        return " ".join(part for part in (self.name, self.surname) if part)
