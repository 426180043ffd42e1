"""Operations (运维), the top floor: what runs the engine rather than what the engine does.
/healthz (health.py) and /metrics (metrics.py), the log output with the case number and
request id (logging.py, middleware.py; the context variables themselves are
onething/common/logging.py's, set by any part), the start-up checks (checks.py) and the
demo loader (``manage.py load_demo``). It may read every part; no part imports it.
See docs/operations.md."""
