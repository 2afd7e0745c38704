"""Every file generated from the HeroicCluster spec models: the CRD, the chart's copies (CRD,
RBAC rules, values schema) and the reference in docs/. ``make generate`` (``python -m
heroic_generate``) writes them; a unit test fails while a committed one is stale."""
