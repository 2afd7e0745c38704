"""The Heroic operator: reconciles ``HeroicCluster`` resources into Kubernetes workloads.

Layout: pure builders (``builders/``, ``render.py``, ``status.py``, ``jobstatus.py``,
``plan.py``, ``diff.py``), one module that writes to the API (``apply.py``), the reconcile
orchestration (``reconcile.py``), a work queue (``controller.py``) and thin kopf glue
(``handlers.py``). Nothing here talks to a backend (Bigtable, Cassandra, Elasticsearch, Pub/Sub):
backend setup runs in configure Jobs.
"""
