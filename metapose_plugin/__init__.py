"""MetaPose and ContextAware-PoseFormer for MMPose.

Importing this package registers every component of the plugin in MMPose's
registries (``MODELS``, ``DATASETS``, ``TRANSFORMS``, ``METRICS``,
``INFERENCERS``, ``HOOKS``), so a config only needs
``custom_imports = dict(imports=['metapose_plugin'])``.
"""
from . import (apis, datasets, engine, evaluation, models,  # noqa: F401 (registration)
               visualization)
from .utils import register_all_modules
from .version import __version__

__all__ = ['register_all_modules', '__version__']
