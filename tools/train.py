"""Train a model with a metapose_plugin config.

Same command line as MMPose's ``tools/train.py`` (``--work-dir``,
``--resume [CKPT]``, ``--amp``, ``--no-validate``, ``--auto-scale-lr``,
``--cfg-options``, ``--launcher``, ``--local_rank``/``--local-rank``): this
script runs MMPose's installed copy (``mmpose/.mim/tools/train.py``) rather
than duplicating it, and adds only what differs:

- ``import metapose_plugin`` registers the plugin's modules and allow-lists
  the globals that runner checkpoints need under ``torch.load``'s
  ``weights_only`` default (PyTorch >= 2.6), so ``--resume`` works.
- A distributed launch on a machine without CUDA runs on CPU: ``gloo``
  backend (unless ``--cfg-options env_cfg.dist_cfg.backend=...`` says
  otherwise), DDP without device ids, and the process group is started here
  because MMEngine's ``init_dist`` would select a CUDA device.
- ``--amp`` (MMEngine ``AmpOptimWrapper``, dynamic loss scale) autocasts to
  bfloat16 on CUDA devices that support it and to float16 on older ones. On
  a CPU-only machine ``--amp`` stops with an error: MMEngine's AMP wrapper
  needs an accelerator, so train in float32 there.

Examples::

    python tools/train.py CONFIG [--work-dir DIR] [--amp] [--resume]
    bash tools/dist_train.sh CONFIG NUM_PROCS [ARGS]
    # TensorBoard instead of the JSON scalars (the text log is unchanged;
    # events under WORK_DIR/TIMESTAMP/vis_data):
    python tools/train.py CONFIG --cfg-options \
        visualizer.vis_backends.0.type=TensorboardVisBackend
"""
from argparse import Namespace

from mmengine.config import Config

import metapose_plugin  # noqa: F401 (registers modules and safe globals)
from metapose_plugin.engine import (adapt_dist_to_cpu, init_cpu_process_group,
                                    run_mmpose_tool, select_amp_dtype)


def adjust_cfg(cfg: Config, args: Namespace) -> Config:
    """Adapt the merged config to this machine (see the module docstring)."""
    adapt_dist_to_cpu(cfg, args.cfg_options)
    select_amp_dtype(cfg)
    init_cpu_process_group(cfg)
    return cfg


if __name__ == '__main__':
    run_mmpose_tool('train.py', adjust_cfg)
