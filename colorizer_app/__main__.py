"""`python -m colorizer_app`: the desktop app, or the command line with arguments."""

import sys

# The Settings dialog starts training runs as `<python> -m colorizer_app.gui.training_launch`.
# In the PyInstaller bundle the python is this program, so it takes that one `-m` itself.
_TRAINING_LAUNCH = ["-m", "colorizer_app.gui.training_launch"]

if __name__ == "__main__":
    if getattr(sys, "frozen", False) and sys.argv[1:3] == _TRAINING_LAUNCH:
        from colorizer_app.gui import training_launch

        training_launch.main(sys.argv[3:])
    from colorizer_app.cli import main

    sys.exit(main())
