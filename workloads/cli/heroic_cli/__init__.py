"""The ``heroic`` console script: one entry point, one subcommand per node role."""
