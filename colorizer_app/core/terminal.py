"""Terminal output that cannot fail on a character.

Redirected output on Windows is written in the locale's code page (cp1252 and the
like), strictly: a photo, folder or user name outside it (Łukasz, 王) would end a
command with UnicodeEncodeError halfway through its report. Such characters are
written as backslash escapes instead; everything else is unchanged.
"""

import sys


def forgive_unencodable_characters() -> None:
    """Make sys.stdout and sys.stderr escape what their encoding cannot write."""
    for stream in (sys.stdout, sys.stderr):
        if stream is not None and hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
