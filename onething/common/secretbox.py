"""Secrets stored encrypted at rest (Fernet: AES-128-CBC and HMAC-SHA256), with the key
from the environment (settings.SECRETS_ENCRYPTION_KEY; with DEBUG on and none set, a key
derived from SECRET_KEY so that ``make run`` needs none). Several keys, comma separated,
allow changing the key: the first encrypts, every one decrypts.

Decryption is cached per process and stored value (a token decrypts to the same text
every time), so reading a department endpoint costs a dictionary lookup after the first.
"""

from __future__ import annotations

from functools import cache, lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed

from onething.common.secret_policy import encryption_keys


class UndecryptableSecret(ImproperlyConfigured):
    """A stored secret that none of the configured keys decrypts (a wrong or missing
    SECRETS_ENCRYPTION_KEY)."""


@cache
def _box() -> MultiFernet:
    keys = encryption_keys(settings.SECRETS_ENCRYPTION_KEY)
    if not keys:
        raise ImproperlyConfigured("SECRETS_ENCRYPTION_KEY is not set")
    return MultiFernet([Fernet(key) for key in keys])


def encrypt(text: str) -> str:
    return _box().encrypt(text.encode("utf-8")).decode("ascii")


@lru_cache(maxsize=4096)
def decrypt(token: str) -> str:
    try:
        return _box().decrypt(token.encode("ascii")).decode("utf-8")
    except (InvalidToken, UnicodeError) as wrong:
        raise UndecryptableSecret(
            "a stored secret cannot be decrypted: is SECRETS_ENCRYPTION_KEY the key it was encrypted with? "
            "(密钥无法解密，请检查 SECRETS_ENCRYPTION_KEY)"
        ) from wrong


def clear_cache() -> None:
    _box.cache_clear()
    decrypt.cache_clear()


def _on_setting_changed(setting: str, **kwargs) -> None:
    if setting in {"SECRETS_ENCRYPTION_KEY"}:
        clear_cache()


setting_changed.connect(_on_setting_changed, dispatch_uid="onething-secretbox-settings")
