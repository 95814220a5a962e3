"""Entry point for ``python -m colorizer_app.gui``."""

import sys

from colorizer_app.gui.app import main

sys.exit(main())
