"""Network definitions shared by the app and the training module."""

from colorizer_app.models.unet import UNet, UNetConfig, build_model

__all__ = ["UNet", "UNetConfig", "build_model"]
