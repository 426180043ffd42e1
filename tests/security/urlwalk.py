"""Every URL the project serves, read from the URL configuration (so a new endpoint cannot
escape the security tests)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver

# Left out on purpose, with the reason. Nothing else may be skipped.
SKIPPED_NAMESPACES = {
    # Django's own admin: its access check (is_staff, then model permissions) is Django's;
    # tests/security/test_authorization_matrix.py checks that only staff get in at all,
    # test_personal_data.py reads its changelists.
    "admin",
}
SKIPPED_NAMES = {
    # django.conf.urls.i18n: sets the language cookie, reads and writes nothing else
    # (CSRF-protected like every form: test_csrf.py posts to it).
    "set_language",
}


@dataclass(frozen=True)
class Endpoint:
    name: str  # "namespace:name"
    route: str  # the pattern, for messages
    callback: object


def walk(patterns=None, prefix: str = "", namespaces: tuple[str, ...] = ()) -> Iterator[Endpoint]:
    """Every URL pattern, depth first, with its full name (includes and namespaces followed)."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            inner = namespaces + ((pattern.namespace,) if pattern.namespace else ())
            yield from walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
        elif isinstance(pattern, URLPattern):
            name = ":".join((*namespaces, pattern.name or f"<unnamed {prefix}{pattern.pattern}>"))
            yield Endpoint(name=name, route=prefix + str(pattern.pattern), callback=pattern.callback)


def endpoints() -> list[Endpoint]:
    """The endpoints the security tests must cover (everything but the skipped above)."""
    return [e for e in walk() if e.name.split(":", 1)[0] not in SKIPPED_NAMESPACES and e.name not in SKIPPED_NAMES]
