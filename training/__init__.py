"""Companion training module: `python -m training train|evaluate|export`.

Never imports Qt; the app launches it as a separate process.
"""
