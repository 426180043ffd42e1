"""Department systems (部门业务系统): one process that plays every configured department over HTTP.

Run it with ``python -m services.department``; talk to it with
:class:`services.department.client.DepartmentClient`; sign and verify with :mod:`services.department.signing`.
The protocol is in docs/department-protocol.md. This ``__init__`` stays import-light so that the engine
can import the client and the signing functions without pulling in the server.
"""
