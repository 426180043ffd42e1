"""How identifiers are shown where the whole number is not needed (lists, logs, pages of
other roles): the middle hidden. The same rules as services/redaction.py, which masks them
inside free text."""


def mask_id_number(value: str | None) -> str:
    """Hide the middle of an ID number or credit code: ``310104199203150469`` → ``3101**********0469``.

    The first four and last four characters stay (enough to tell records apart at a glance); a
    value of eight characters or fewer keeps only its last two.
    """
    text = (value or "").strip()
    if not text:
        return ""
    if len(text) <= 8:
        return "*" * max(len(text) - 2, 0) + text[-2:]
    return text[:4] + "*" * (len(text) - 8) + text[-4:]


def mask_mobile(value: str | None) -> str:
    """``13916880001`` → ``139****0001``."""
    text = (value or "").strip()
    if len(text) != 11:
        return mask_id_number(text)
    return text[:3] + "****" + text[-4:]
