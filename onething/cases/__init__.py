"""Cases (办件): one application of one bundle, pinned to the bundle version it started
on, with its merged data and materials. States change only through ``transitions``."""
