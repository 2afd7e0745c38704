"""``python -m heroic_testenv``."""

import sys

from heroic_testenv.cli import main

sys.exit(main())
