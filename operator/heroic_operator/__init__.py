"""The Heroic operator: reconciles ``HeroicCluster`` resources into Kubernetes workloads.

Layout, top to bottom (``.importlinter`` holds it): ``process/`` (cli, kopf handlers, work
queue, leader election), ``reconcile/`` (observe reads a snapshot, plan decides, apply writes),
``configure/`` (configure Job decisions) beside ``kube/`` (the only module talking to the API),
``desired/`` (rendered heroic.yml per component from one render step per backend family in
``desired/backends/``, and the child objects built from it), ``spec/`` (the resource's models),
and ``naming``, ``errors``, ``metrics``. ``configure``, ``desired``, ``spec`` and the planning half
of ``reconcile`` are pure. Nothing here talks to a backend (Bigtable, Cassandra, Elasticsearch,
Pub/Sub): backend setup runs in configure Jobs.
"""
