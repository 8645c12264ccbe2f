"""The provider's ES256 signing key, derived from ``WATERBILL_SECRET_KEY``.

Deriving it (instead of generating one per process) gives every app instance, and the
``waterbill dev-token`` command, the same key with nothing to store or share: the private scalar
is an HMAC of the secret key, reduced into the P-256 group. This is fine for a development
provider only; a real provider keeps its keys in an HSM.
"""

from __future__ import annotations

import hashlib
import hmac
from functools import lru_cache

from cryptography.hazmat.primitives.asymmetric import ec
from joserfc.jwk import ECKey

_P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
_LABEL = b"waterbill dev-idp ES256 signing key v1"


@lru_cache(maxsize=4)
def signing_key(secret: bytes) -> ECKey:
    digest = hmac.new(secret, _LABEL, hashlib.sha512).digest()
    scalar = int.from_bytes(digest, "big") % (_P256_ORDER - 1) + 1
    private = ec.derive_private_key(scalar, ec.SECP256R1())
    key = ECKey.import_key(private, {"use": "sig", "alg": "ES256"})
    key.ensure_kid()
    return key


def public_jwks(secret: bytes) -> dict[str, object]:
    return {"keys": [signing_key(secret).as_dict(private=False)]}
