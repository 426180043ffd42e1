"""The department protocol (docs/department-protocol.md) as a library: request signing
(``signing``, stdlib only, no I/O) and the HTTP client of one department's system
(``client``). The engine (onething/processing) and the department simulator
(services/department) both import it; neither imports the other."""
