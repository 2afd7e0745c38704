"""``make run``: the whole system on embedded defaults, on this machine, for people to look at."""
