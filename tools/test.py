"""Test (evaluate) a checkpoint with a metapose_plugin config.

Same command line as MMPose's ``tools/test.py`` (``CONFIG CHECKPOINT``,
``--work-dir``, ``--out``, ``--dump``, ``--cfg-options``, ``--launcher``,
``--local_rank``/``--local-rank``): this script runs MMPose's installed copy
(``mmpose/.mim/tools/test.py``) rather than duplicating it. Importing
``metapose_plugin`` registers the plugin and allow-lists what runner
checkpoints need under ``torch.load``'s ``weights_only`` default; a
distributed launch without CUDA runs on CPU (``gloo``, as in
``tools/train.py``). The metric
gathers the predictions of all processes before computing P1/P2.

CHECKPOINT may name a model zoo entry (``zoo://ALIAS`` or the bare alias,
``model-index.yml``): its released weights are downloaded, converted and
cached on first use.

Examples::

    python tools/test.py CONFIG CHECKPOINT [--work-dir DIR] [--out metrics.json]
    python tools/test.py configs/capf/capf_hrnet-w32-cpn_1xb512-60e_h36m-256x192.py \
        zoo://capf-w32_h36m
    bash tools/dist_test.sh CONFIG CHECKPOINT NUM_PROCS [ARGS]
"""
from argparse import Namespace

from mmengine.config import Config

import metapose_plugin  # noqa: F401 (registers modules and safe globals)
from metapose_plugin.apis.model_zoo import resolve_zoo_model, zoo_name
from metapose_plugin.engine import (adapt_dist_to_cpu, init_cpu_process_group,
                                    run_mmpose_tool)


def adjust_cfg(cfg: Config, args: Namespace) -> Config:
    """Adapt the merged config to this machine and resolve a zoo alias
    given as the checkpoint (see the module docstring)."""
    name = zoo_name(args.checkpoint)
    if name is not None:
        cfg.load_from = resolve_zoo_model(name).checkpoint
    adapt_dist_to_cpu(cfg, args.cfg_options)
    init_cpu_process_group(cfg)
    return cfg


if __name__ == '__main__':
    run_mmpose_tool('test.py', adjust_cfg)
