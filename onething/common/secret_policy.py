"""Which secrets the engine refuses to run with when DEBUG is off (docs/security.md,
"Secrets, storage and logs"). The demo values are listed here and nowhere else: the
settings (SECRET_KEY, DATAHUB_KEY, SECRETS_ENCRYPTION_KEY, at import), the system check and
the start-up of gunicorn and Celery (department secrets, in the database) all ask this module.

No model imports and no Django settings access at import: settings.py imports it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from functools import cache
from pathlib import Path

from services.datahub.auth import DEFAULT_KEY as DEMO_DATAHUB_KEY

BASE_DIR = Path(__file__).resolve().parents[2]
DEFAULT_SECRET_KEY = "insecure-dev-key-change-me"
SECRET_KEY_MIN_LENGTH = 50  # what Django's check --deploy (security.W009) asks for, as a refusal
# The demo departments' secrets: the engine's side (load_demo) and the simulated department systems.
DEMO_DEPARTMENT_FILES = (
    BASE_DIR / "demo" / "departments.json",
    BASE_DIR / "services" / "department" / "departments.json",
)
DEMO_PREFIX = "demo-"  # every demo secret of the repository starts with it


@cache
def demo_department_secrets() -> frozenset[str]:
    """Every department secret written in the repository's demo files."""
    found: set[str] = set()
    for path in DEMO_DEPARTMENT_FILES:
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        entries = document.get("endpoints") or list((document.get("departments") or {}).values())
        found.update(entry["secret"] for entry in entries if isinstance(entry, dict) and entry.get("secret"))
    return frozenset(found)


def is_demo_secret(value: str) -> bool:
    value = (value or "").strip()
    return value in demo_department_secrets() or value == DEMO_DATAHUB_KEY or value.startswith(DEMO_PREFIX)


def encryption_keys(value: str) -> list[bytes]:
    """SECRETS_ENCRYPTION_KEY: one or more Fernet keys (32 url-safe base64 bytes), comma
    separated, the one that encrypts first. ValueError when one is malformed."""
    keys = [part.strip().encode("ascii") for part in (value or "").split(",") if part.strip()]
    for key in keys:
        try:
            if len(base64.urlsafe_b64decode(key)) != 32:
                raise ValueError
        except (ValueError, binascii.Error):
            raise ValueError("SECRETS_ENCRYPTION_KEY: each key is 32 url-safe base64-encoded bytes") from None
    return keys


def derived_key(secret_key: str) -> str:
    """The development key (DEBUG on, no SECRETS_ENCRYPTION_KEY): derived from SECRET_KEY."""
    digest = hashlib.sha256(b"onething-secretbox:" + secret_key.encode("utf-8")).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii")


def settings_problems(*, secret_key: str, datahub_key: str, encryption_key: str) -> list[str]:
    """What is wrong with the secrets from the environment for a production start (DEBUG off)."""
    problems = []
    if secret_key.strip() in {"", DEFAULT_SECRET_KEY}:
        problems.append(
            "SECRET_KEY must be set in the environment when DEBUG is off (生产环境必须通过环境变量设置 SECRET_KEY): "
            "generate one with python -c 'import secrets; print(secrets.token_urlsafe(50))'."
        )
    elif len(secret_key) < SECRET_KEY_MIN_LENGTH or is_demo_secret(secret_key):
        problems.append(
            f"SECRET_KEY is too short or a demo value: at least {SECRET_KEY_MIN_LENGTH} characters "
            f"(SECRET_KEY 过短或为演示值，至少 {SECRET_KEY_MIN_LENGTH} 个字符)."
        )
    if not datahub_key.strip() or is_demo_secret(datahub_key):
        problems.append(
            "DATAHUB_KEY is the demo key or empty: set the key agreed with the data hub "
            "(DATAHUB_KEY 为演示值或为空，请设置与数据共享平台约定的密钥)."
        )
    if not encryption_key.strip():
        problems.append(
            "SECRETS_ENCRYPTION_KEY must be set when DEBUG is off (生产环境必须设置 SECRETS_ENCRYPTION_KEY): "
            "generate one with python -c "
            "'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'."
        )
    else:
        try:
            encryption_keys(encryption_key)
        except ValueError as malformed:
            problems.append(str(malformed))
    return problems
