"""Pieces shared by every part: API error format, PDF fonts, language helpers."""
