"""The unread count of the 站内信 link in the site header, on every page.

Lazy: the COUNT runs only when a template shows it (templates/notifications/_nav_messages.html,
for a signed-in user), at most once per request; an anonymous visitor costs nothing."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from onething.notifications import selectors


def unread_messages(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"unread_messages": 0}
    return {"unread_messages": SimpleLazyObject(lambda: selectors.unread_count(user=user))}
