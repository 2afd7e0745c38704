"""``heroic shell`` (also ``heroic-shell``): upstream Heroic's shell. Profiles (``-P``) and extra
parameters (``-X``) build a heroic.yml, tasks act on its backends, one at a time from the
command line or at an interactive ``heroic>`` prompt, or on a running node (``--connect``)."""
