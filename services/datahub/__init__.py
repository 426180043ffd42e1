"""Government data hub (政务数据共享平台): synthetic natural-person, legal-entity and e-licence records.

Run it with ``python -m services.datahub``; talk to it with :class:`services.datahub.client.DatahubClient`.
This package's ``__init__`` stays import-light so that the engine can import the client and the demo
identities without pulling in the server.
"""

DATASET_VERSION = 1
"""Bumped whenever the generator changes its output, so that old data directories get re-seeded."""
