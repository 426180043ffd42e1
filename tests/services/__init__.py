"""Tests of the stand-alone services in ``services/``; they start real server processes and need no Django."""
