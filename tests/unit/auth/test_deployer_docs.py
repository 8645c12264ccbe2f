"""The deployer's documents say what the code does: read from the code, so they cannot drift."""

from __future__ import annotations

from pathlib import Path

from waterbill.auth.oidc import AMR_METHODS, CLIENT_AUTH_METHOD, SCOPES, SIGNING_ALGORITHMS
from waterbill.config import Settings

ROOT = Path(__file__).resolve().parents[3]


def test_every_setting_is_documented_in_the_env_example() -> None:
    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    missing = [
        name for name in Settings.model_fields if f"WATERBILL_{name.upper()}=" not in example
    ]
    assert missing == []


def test_the_deploy_guide_says_what_to_register_with_the_identity_provider() -> None:
    guide = (ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")
    section = guide[guide.index("### 8.1 The e-gov sign-in") :]
    section = section[: section.index("\n## ")]
    for needed in (
        "/auth/callback",
        "Post-logout redirect URI",
        CLIENT_AUTH_METHOD,
        "code_challenge_method=S256",
        f"`{SCOPES}`",
        "end_session_endpoint",
        "auth_method_not_allowed",
        "waterbill-admin check",
        "WATERBILL_OIDC_TIMEOUT",
        *SIGNING_ALGORITHMS,
        *(f"`{value}`" for value in AMR_METHODS),
    ):
        assert needed in section, needed
