"""Run MMPose's installed ``tools/*.py`` scripts with plugin adjustments.

MMPose ships its command-line tools inside the package
(``mmpose/.mim/tools``). Our ``tools/train.py`` and ``tools/test.py`` run
those scripts instead of copying them, so the arguments and behaviour stay
MMPose's; they add a step after MMPose's ``merge_args``, and build the
config's ``runner_type`` (the plugin's configs name ``StrictLoadRunner``):
MMPose's scripts always build MMEngine's ``Runner``, where MMDetection's
honour ``runner_type``.
"""
import importlib.util
import os.path as osp
from argparse import Namespace
from types import ModuleType
from typing import Callable

import mmpose
from mmengine.config import Config
from mmengine.runner import Runner
from mmpose.registry import RUNNERS

CfgAdjustment = Callable[[Config, Namespace], Config]


def load_mmpose_tool(script: str) -> ModuleType:
    """Import one of MMPose's installed tool scripts as a module.

    Args:
        script (str): File name under ``mmpose/.mim/tools``, e.g.
            ``'train.py'``.

    Returns:
        ModuleType: The script's module; its ``main`` has not run.
    """
    path = osp.join(osp.dirname(mmpose.__file__), '.mim', 'tools', script)
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'MMPose tool script {path} not found: is mmpose installed with '
            'its .mim folder (pip install mmpose, not a bare source copy)?')
    name = 'mmpose_tools_' + osp.splitext(script)[0]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class RunnerOfConfig:
    """Stands in for ``Runner`` in MMPose's tool scripts: ``from_cfg`` builds
    the config's ``runner_type`` from MMPose's ``RUNNERS`` (MMEngine's
    ``Runner`` without one)."""

    @staticmethod
    def from_cfg(cfg: Config) -> Runner:
        """The runner the config asks for, built from ``cfg``."""
        if cfg.get('runner_type'):
            return RUNNERS.build(cfg)
        return Runner.from_cfg(cfg)


def run_mmpose_tool(script: str, adjust: CfgAdjustment) -> None:
    """Run MMPose's tool ``script`` with ``adjust`` after its ``merge_args``.

    The script parses ``sys.argv`` itself. ``adjust(cfg, args)`` receives the
    config with all command-line arguments merged and returns it; the runner
    is built by :class:`RunnerOfConfig`.

    Args:
        script (str): File name under ``mmpose/.mim/tools``.
        adjust (Callable): Config adjustment, see above.
    """
    tool = load_mmpose_tool(script)
    mmpose_merge_args = tool.merge_args

    def merge_args(cfg: Config, args: Namespace) -> Config:
        return adjust(mmpose_merge_args(cfg, args), args)

    # ``main`` looks ``merge_args`` and ``Runner`` up in the module namespace
    # when it runs.
    tool.merge_args = merge_args
    tool.Runner = RunnerOfConfig
    tool.main()
