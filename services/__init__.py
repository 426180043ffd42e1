"""Stand-alone HTTP services (department systems, the government data hub) for local runs, demos and tests.

They are separate processes with their own storage on purpose: the engine must meet real latency,
real failures and a real wire protocol, not an in-process fake.
"""
