"""Department systems (部门业务系统): one process that plays every configured department over HTTP.

Run it with ``python -m services.department``. It speaks the protocol of
docs/department-protocol.md through the library :mod:`services.protocol` (signing; its
client is what the engine and the tests call it with); the engine never imports this package.
"""
