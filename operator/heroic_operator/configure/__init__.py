"""Configure Jobs: which backend targets need one, whether to create, wait, retry or give up, and
which components may move to a new backend config. Pure decisions over observed Jobs and pods."""
