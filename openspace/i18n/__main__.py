"""`python -m openspace.i18n update|compile|check`: see openspace/i18n/catalogs.py."""

import sys

from .catalogs import main

sys.exit(main())
