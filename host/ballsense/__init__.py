"""ballsense: host software for the pressure-sensing massage ball."""
__version__ = "0.1.0"
