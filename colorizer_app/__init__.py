"""Colorizer: bring color to black-and-white photographs."""

__version__ = "0.1.0"
