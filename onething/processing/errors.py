"""Errors of dispatching to a department, by whether trying again can help."""


class DispatchError(Exception):
    """Base class: something went wrong talking to a department."""


class TransientDispatchError(DispatchError):
    """Timeouts, connection errors, 5xx: retry with backoff, then dead-letter."""


class PermanentDispatchError(DispatchError):
    """A 4xx with a reason: retrying cannot help; dead-letter at once."""
