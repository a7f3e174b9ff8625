"""The tool's RSA keys: the signing key, the published JWKS, and rotation.

The private key comes from REFLECT_LTI_PRIVATE_KEY (PEM) when it is set; otherwise one is generated on
first use and stored encrypted (Fernet, key derived from SECRET_KEY). Rotating adds a new key that signs
from then on; the old one stays in the JWKS until it is retired, so platforms that cached it still verify.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass

from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from jwcrypto.jwk import JWK

from courses.lti.models import LtiKey


@dataclass(frozen=True)
class SigningKey:
    kid: str
    private_pem: str
    public_pem: str


def _fernet() -> Fernet:
    digest = hashlib.sha256(b"reflect-lti-private-key:" + settings.SECRET_KEY.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def public_jwk(public_pem: str, kid: str) -> dict:
    jwk = json.loads(JWK.from_pem(public_pem.encode()).export_public())
    return {**jwk, "kid": kid, "alg": "RS256", "use": "sig"}


def _kid(public_pem: str) -> str:
    return JWK.from_pem(public_pem.encode()).thumbprint()


def _new_pair() -> tuple[str, str]:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
    public_pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    return private_pem, public_pem


def _from_environment() -> SigningKey | None:
    pem = getattr(settings, "LTI_PRIVATE_KEY", "")
    if not pem:
        return None
    private = serialization.load_pem_private_key(pem.encode(), password=None)
    public_pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    return SigningKey(kid=_kid(public_pem), private_pem=pem, public_pem=public_pem)


def key_rotate() -> LtiKey:
    """A new stored key pair that signs from now on; earlier keys stay published until retired."""
    private_pem, public_pem = _new_pair()
    return LtiKey.objects.create(
        kid=_kid(public_pem), public_pem=public_pem,
        private_pem_encrypted=_fernet().encrypt(private_pem.encode()).decode())


def key_retire(*, key: LtiKey) -> None:
    """Stop publishing a key that no longer signs (never the current signing key)."""
    if signing_key().kid == key.kid:
        raise ValueError("The current signing key can't be retired; rotate first.")
    LtiKey.objects.filter(pk=key.pk, retired_at__isnull=True).update(retired_at=timezone.now())


def signing_key() -> SigningKey:
    """The key the tool signs with: the environment's, else the newest stored one (made on first use)."""
    key = _from_environment()
    if key is not None:
        return key
    stored = LtiKey.objects.filter(retired_at__isnull=True).first()
    if stored is None:
        with transaction.atomic():
            stored = key_rotate()
    private_pem = _fernet().decrypt(stored.private_pem_encrypted.encode()).decode()
    return SigningKey(kid=stored.kid, private_pem=private_pem, public_pem=stored.public_pem)


def jwks() -> dict:
    """Every public key platforms may meet: the signing key and every stored key not yet retired."""
    current = signing_key()
    keys = [public_jwk(current.public_pem, current.kid)]
    for key in LtiKey.objects.filter(retired_at__isnull=True).exclude(kid=current.kid):
        keys.append(public_jwk(key.public_pem, key.kid))
    return {"keys": keys}
