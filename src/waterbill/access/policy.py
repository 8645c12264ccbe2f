"""The access policy as pure rules: who the viewer is to an account, and what they may see.

Personal-data law, art. 7.1.3: the statement names a person and an address. The holder, a citizen
the holder authorised, and the ICT department's admins see it whole. Anyone else, under
``masked-for-others``, sees the billing figures (people pay a parent's bill) without the personal
items; under ``holder-only`` they are refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from waterbill.audit.tags import Result

Policy = Literal["holder-only", "masked-for-others"]
Role = Literal["holder", "authorised", "admin", "other"]
ROLES: tuple[Role, ...] = ("holder", "authorised", "admin", "other")
# A viewer as the holder sees them in "who viewed my account".
ViewerKind = Literal["you", "authorised", "admin", "other", "anonymous"]

# Why a statement was masked or refused; a stable code the pages and the API translate.
NOT_HOLDER = "not_holder"


@dataclass(frozen=True, slots=True)
class Decision:
    result: Result
    role: Role
    reason: str


def role_of(*, viewer_fin: str, holder_fin: str, is_admin: bool, is_authorised: bool) -> Role:
    if viewer_fin == holder_fin:
        return "holder"
    if is_admin:
        return "admin"
    if is_authorised:
        return "authorised"
    return "other"


def decide(*, policy: Policy, role: Role) -> Decision:
    if role != "other":
        return Decision(result="full", role=role, reason=role)
    if policy == "holder-only":
        return Decision(result="refused", role=role, reason=NOT_HOLDER)
    return Decision(result="masked", role=role, reason=NOT_HOLDER)


def mask_fin(fin: str) -> str:
    """``5ZK3LRT`` → ``5Z****T``: enough for a holder to recognise whom they authorised."""
    return f"{fin[:2]}{'*' * (len(fin) - 3)}{fin[-1:]}" if len(fin) > 3 else "*" * len(fin)
