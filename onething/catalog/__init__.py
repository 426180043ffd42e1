"""Catalogue: departments, service items (单项事), data elements (数据元) and bundles
(一件事) with immutable published versions, plus the JSON definition format that
imports and exports them (``definition/``)."""
