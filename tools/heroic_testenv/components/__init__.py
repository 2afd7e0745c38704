"""One module per component: how to start it, how to know it is ready, what it exports."""
