"""The Content-Security-Policy allows only the service itself, the portal frame and the IdP."""

from __future__ import annotations

from waterbill.ops.security import content_security_policy


def _directives(policy: str) -> dict[str, str]:
    return dict(part.strip().split(" ", 1) for part in policy.split(";"))


def test_the_policy_has_no_unsafe_inline_and_locks_objects_and_base() -> None:
    policy = content_security_policy(frame_ancestors=[], form_action=[])
    directives = _directives(policy)
    assert "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy
    assert directives["default-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert directives["base-uri"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["form-action"] == "'self'"


def test_the_portal_may_frame_the_pages_and_forms_may_post_to_the_identity_provider() -> None:
    directives = _directives(
        content_security_policy(
            frame_ancestors=["https://www.e-gov.az"], form_action=["https://sso.e-gov.az"]
        )
    )
    assert directives["frame-ancestors"] == "https://www.e-gov.az"
    assert directives["form-action"] == "'self' https://sso.e-gov.az"
