from . import inferencers  # noqa: F401
