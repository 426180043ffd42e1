"""Identity (身份), a plain package below accounts and apply (no models, not an app): the
engine's connection to the government data hub (datahub.py), the checks and the one
normal form of identifiers: resident ID, credit code, mobile (validators.py), and how they
are shown masked (masking.py). It imports no other part of the engine."""
