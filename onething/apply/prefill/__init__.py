"""Prefill from government data (申请表格预填): a registry of plugins (natural person,
legal entity, e-licences) behind one interface. See ``base.py`` and ``plugins.py``;
``run_prefill`` is what the apply services call."""
