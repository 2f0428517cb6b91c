"""Encrypting the channel address (a Telegram chat id, a Messenger PSID, a web conversation) of the
people who asked to be told: AES-256-GCM with a key from the environment.

``NOTIFY_ADDRESS_KEY`` (any long random string; the key is its SHA-256) if set, else a key derived
from ``GAPS_HMAC_KEY`` (never used for both). A tampered or foreign ciphertext does not decrypt.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from bot.gaps.capture import hmac_key

_NONCE_BYTES = 12
_LABEL = b"nssf notify addresses"


class AddressError(ValueError):
    """The stored address cannot be decrypted with this key."""


def address_key(environ: dict[str, str] | None = None) -> bytes:
    env = dict(os.environ) if environ is None else environ
    configured = env.get("NOTIFY_ADDRESS_KEY", "").strip()
    if configured:
        return hashlib.sha256(configured.encode("utf-8")).digest()
    return hmac.new(hmac_key(env), _LABEL, hashlib.sha256).digest()


class AddressBox:
    """Encrypts and decrypts addresses with one key."""

    def __init__(self, key: bytes) -> None:
        self._aead = AESGCM(key)

    @classmethod
    def from_env(cls) -> AddressBox:
        return cls(address_key())

    def seal(self, address: str) -> str:
        nonce = secrets.token_bytes(_NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, address.encode("utf-8"), _LABEL)
        return base64.urlsafe_b64encode(nonce + sealed).decode("ascii")

    def open(self, token: str) -> str:
        try:
            raw = base64.urlsafe_b64decode(token.encode("ascii"))
            plain = self._aead.decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], _LABEL)
        except (InvalidTag, ValueError) as exc:
            raise AddressError("the address does not decrypt with this key") from exc
        return plain.decode("utf-8")
