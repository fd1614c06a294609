"""The version of skann, in one place (``skann.__version__``)."""

__version__ = "0.1.0.dev0"
