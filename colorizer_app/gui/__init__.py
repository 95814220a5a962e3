"""The PySide6 desktop app: browse photos, pick a model, compare, save, export.

One concern a file. Nothing here imports torch at import time: the window must
show before the (slow) torch import, which happens on the inference thread.
"""
