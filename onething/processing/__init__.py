"""一网办理 one network: an accepted case becomes one item case per applicable item,
dispatched to each department's system (or its workbench in the engine) in dependency
order, upstream results flowing into downstream requests, tracked against working-day
time limits. See docs/processing.md for the state machine, retries and reconciliation.
"""
