"""Core of Colorizer: no Qt here. Image I/O, color math, the pipeline, model files."""
