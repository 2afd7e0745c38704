"""One reconcile of one HeroicCluster, in named phases: observe (read everything into a
snapshot), plan (a pure function of spec and snapshot), apply (write what the plan says)."""
