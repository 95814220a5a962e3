"""`python -m colorizer_app`: the desktop app, or the command line with arguments."""

import sys

from colorizer_app.cli import main

if __name__ == "__main__":
    sys.exit(main())
