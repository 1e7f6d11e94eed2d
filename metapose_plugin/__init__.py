"""3D human pose lifters for MMPose.

MetaPose (Visual-Pose-Lab) and ContextAware-PoseFormer (CA-PF, Zhao et al.,
NeurIPS 2023): one frame with image context; FinePOSE (Xu et al., CVPR 2024):
diffusion over 2D sequences with CLIP part prompts; MPM (Zhang et al., arXiv
2306.17201): masked pose pretraining, lifting and completion; multi-view
MetaPose (Usman et al., CVPR 2022); and the MPI-INF-3DHP protocol.

Importing this package registers every component in MMPose's registries
(``MODELS``, ``DATASETS``, ``TRANSFORMS``, ``METRICS``, ``INFERENCERS``,
``HOOKS``, ``OPTIMIZERS``, ``VISUALIZERS``), so a config only needs
``custom_imports = dict(imports=['metapose_plugin'])``. The layers are drawn
in ``docs/design.md``.
"""
from . import (apis, datasets, engine, evaluation, models,  # noqa: F401 (registration)
               visualization)
from .utils import register_all_modules
from .version import __version__

__all__ = ['register_all_modules', '__version__']
