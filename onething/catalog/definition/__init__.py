"""The bundle definition format (onething.bundle/1): JSON Schema, validation, import and
export. Explained field by field in docs/definition-format.md."""

FORMAT = "onething.bundle/1"

# Every free-text (``string``) data element has a maximum length in characters: this
# default, or the element's own ``max_length``.
DEFAULT_MAX_LENGTH = 500
