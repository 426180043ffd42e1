"""Department adapters: a registry of small classes behind one interface (``base.py``):
``http`` calls a department's own system by the documented protocol
(docs/department-protocol.md); ``workbench`` puts the item case in the engine's own
department workbench for departments with no system."""
