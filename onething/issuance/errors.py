"""Errors of 统一发证."""

from onething.common.errors import Invalid


class IssuanceError(Invalid):
    """A request that cannot be done as asked (shown to the user in both languages)."""

    def __init__(self, code: str, message: str, message_en: str):
        super().__init__(message, message_en, code=code)


class TransientIssuanceError(Exception):
    """The department or the data hub could not answer now; the task retries later."""
