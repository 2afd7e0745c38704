"""The operator process: command line, event source (kopf), work queue, leader election and the
health/metrics server. Everything that runs; nothing that decides what a cluster should be."""
