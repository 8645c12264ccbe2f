"""Refusals of the sign-in and of API credentials."""

from waterbill.errors import ServiceError


class Unauthenticated(ServiceError):
    """No session and no valid bearer token."""

    code = "unauthenticated"
    status = 401


class SignInFailed(ServiceError):
    """The provider's answer failed a check (state, token, issuer, nonce …); ``reason`` says which.

    The reason goes to the log, never to the user: it would only help an attacker.
    """

    code = "sign_in_failed"
    status = 400


class Forbidden(ServiceError):
    """Not allowed: a form without the session's CSRF token, or an access the policy refuses."""

    code = "forbidden"
    status = 403


class SignInUnavailable(ServiceError):
    """The identity provider cannot be used: down, too slow, or answering not as configured.

    ``reason`` names what failed, for the log; the citizen is asked to try again later (503).
    """

    code = "sign_in_unavailable"
    status = 503
    # Seconds the citizen is asked to wait before trying the e-gov sign-in again.
    retry_after = 30
