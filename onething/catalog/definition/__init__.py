"""The bundle definition format (onething.bundle/1): JSON Schema, validation, import and
export. Explained field by field in docs/definition-format.md."""

FORMAT = "onething.bundle/1"
