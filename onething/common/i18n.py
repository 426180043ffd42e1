"""Pick the Chinese or English text of a bilingual catalogue value."""

from django.utils import translation


def is_english() -> bool:
    return (translation.get_language() or "zh-hans").startswith("en")


def pick(zh: str, en: str | None) -> str:
    """Return the English text when the active language is English and one exists."""
    if en and is_english():
        return en
    return zh
