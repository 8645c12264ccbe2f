"""``waterbill check``: the e-gov sign-in as this deployment is configured, checked before use."""

from __future__ import annotations

import sys

import click

from waterbill.auth.errors import SignInUnavailable
from waterbill.config import Settings, get_settings


def check_sign_in(settings: Settings) -> SignInUnavailable | None:
    """Prints what the provider's check found; returns its failure, if any."""
    from waterbill.auth.oidc import Provider

    try:
        notes = Provider(settings).check()
    except SignInUnavailable as failure:
        click.echo(f"e-gov sign-in: {failure.params['reason']}", err=True)
        return failure
    for note in notes:
        click.echo(f"e-gov sign-in: {note}")
    return None


@click.command()
def check() -> None:
    """Check the e-gov sign-in: discovery at the issuer, its issuer, endpoints and keys.

    Exits 1 naming the problem (a wrong issuer or path, an unreachable provider), 0 when a
    citizen could sign in.
    """
    if check_sign_in(get_settings()) is not None:
        sys.exit(1)
