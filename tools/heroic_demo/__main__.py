"""``python -m heroic_demo``."""

import sys

from heroic_demo.demo import main

sys.exit(main())
