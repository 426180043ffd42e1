"""Shared fixtures."""

import pytest

from onething.catalog.definition.importer import import_definition
from tests.definitions import sample_definition


@pytest.fixture
def published_sample(db):
    """The sample bundle, imported and published through the definition format."""
    return import_definition(document=sample_definition(), publish=True)
