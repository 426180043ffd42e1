"""Model fields of general use."""

from __future__ import annotations

from django.db import models

from onething.common import secretbox


class EncryptedTextField(models.TextField):
    """Text kept encrypted in the database (onething/common/secretbox.py) and plain on the
    model instance. Not for lookups: every encryption of a value differs. The empty string
    is stored as it is (nothing to hide: "not set")."""

    def from_db_value(self, value, expression, connection):
        if not value:
            return value
        return secretbox.decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if not value:
            return value
        return secretbox.encrypt(value)
