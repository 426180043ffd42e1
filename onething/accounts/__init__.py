"""Accounts of everyone who uses the engine: citizens and enterprises (identified by
resident ID number or unified social credit code), window clerks, department officers
and administrators; sign-up with a real-name check, and login throttling."""
