"""Errors of 统一发证."""


class IssuanceError(Exception):
    """A request that cannot be done as asked (shown to the user in both languages)."""

    def __init__(self, code: str, message: str, message_en: str):
        super().__init__(message)
        self.code, self.message, self.message_en = code, message, message_en


class TransientIssuanceError(Exception):
    """The department or the data hub could not answer now; the task retries later."""
