"""The audit trail (审计日志), the ground floor every part writes to: the append-only
``AuditEvent`` (models.py), ``record`` (services.py), the database guards (append_only.py,
the ``flush`` command) and the audited admin base class (admin.py). It imports no other
part of the engine; oversight reads the trail (search, detail pages, CSV export).
See docs/audit.md."""
