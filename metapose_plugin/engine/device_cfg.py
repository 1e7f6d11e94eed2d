"""Config adjustments that depend on the machine a tool runs on.

``tools/train.py`` and ``tools/test.py`` apply them after MMPose's own
argument merging, so a config written for GPUs also runs on a CPU machine.
"""
import datetime
from typing import Optional

import torch
import torch.distributed as torch_dist
from mmengine.config import Config
from mmengine.device import (is_cuda_available, is_mlu_available,
                             is_musa_available, is_npu_available)
from mmengine.logging import print_log

_DIST_BACKEND_KEY = 'env_cfg.dist_cfg.backend'


def adapt_dist_to_cpu(cfg: Config,
                      cli_options: Optional[dict] = None) -> Config:
    """Make a distributed config usable on a machine without CUDA.

    Only a distributed launch (``cfg.launcher`` other than ``'none'``)
    without CUDA is changed:

    - the process-group backend becomes ``gloo`` when it is ``nccl`` (the
      default of MMEngine and of MMPose's ``default_runtime.py``; it needs
      CUDA), unless the user chose it with
      ``--cfg-options env_cfg.dist_cfg.backend=...``;
    - without a ``model_wrapper_cfg``, the model is wrapped in
      ``MMDistributedDataParallel`` with ``device_ids=None`` (MMEngine passes
      the local rank as a CUDA device id, which DDP rejects for a CPU model).

    Args:
        cfg (Config): The merged config; modified in place.
        cli_options (dict, optional): The ``--cfg-options`` given.

    Returns:
        Config: ``cfg``.
    """
    if cfg.get('launcher', 'none') == 'none' or is_cuda_available():
        return cfg
    dist_cfg = cfg.get('env_cfg', {}).get('dist_cfg', {})
    if (_DIST_BACKEND_KEY not in (cli_options or {})
            and dist_cfg.get('backend', 'nccl') == 'nccl'):
        cfg.merge_from_dict({_DIST_BACKEND_KEY: 'gloo'})
        print_log('CUDA is not available: distributed backend set to gloo',
                  logger='current')
    if cfg.get('model_wrapper_cfg') is None:
        cfg.model_wrapper_cfg = dict(
            type='MMDistributedDataParallel',
            device_ids=None,
            broadcast_buffers=False,
            find_unused_parameters=cfg.get('find_unused_parameters', False))
    return cfg


def init_cpu_process_group(cfg: Config) -> None:
    """Start the process group of a ``torchrun`` launch without CUDA.

    MMEngine's ``init_dist`` for the ``pytorch`` launcher always calls
    ``torch.cuda.set_device``, which fails without a GPU. Here the group is
    started directly from torchrun's environment (``RANK``, ``WORLD_SIZE``,
    ``MASTER_ADDR``, ``MASTER_PORT``) with ``cfg.env_cfg.dist_cfg``
    (``backend``, ``timeout`` in seconds); the Runner then finds it already
    initialised and skips ``init_dist``. Does nothing with CUDA, for other
    launchers, or when a group exists.

    Args:
        cfg (Config): The merged config (after :func:`adapt_dist_to_cpu`).
    """
    if (cfg.get('launcher', 'none') != 'pytorch' or is_cuda_available()
            or torch_dist.is_initialized()):
        return
    kwargs = dict(cfg.get('env_cfg', {}).get('dist_cfg', {}))
    backend = kwargs.pop('backend', 'gloo')
    if kwargs.get('timeout') is not None:
        kwargs['timeout'] = datetime.timedelta(seconds=kwargs['timeout'])
    torch_dist.init_process_group(backend=backend, **kwargs)


def select_amp_dtype(cfg: Config) -> Config:
    """Pick the autocast dtype of an ``AmpOptimWrapper`` (``--amp``).

    bfloat16 where the CUDA device supports it (no overflow, the dynamic loss
    scaler then never has to skip a step), float16 on older CUDA devices; an
    explicit ``optim_wrapper.dtype`` in the config is kept. Other
    accelerators keep MMEngine's default. MMEngine's ``AmpOptimWrapper``
    does not run on CPU, so there ``--amp`` stops with this message instead
    of an assertion deep in MMEngine.

    Args:
        cfg (Config): The merged config; modified in place.

    Returns:
        Config: ``cfg``.

    Raises:
        RuntimeError: If no CUDA/NPU/MLU/MUSA device is available.
    """
    optim_wrapper = cfg.optim_wrapper
    if optim_wrapper.get('type') != 'AmpOptimWrapper':
        return cfg
    if not (is_cuda_available() or is_npu_available() or is_mlu_available()
            or is_musa_available()):
        raise RuntimeError(
            '--amp / AmpOptimWrapper needs a CUDA (or NPU/MLU/MUSA) device; '
            'this machine has none. Train in float32 without --amp on CPU.')
    if is_cuda_available() and optim_wrapper.get('dtype') is None:
        optim_wrapper.dtype = ('bfloat16' if torch.cuda.is_bf16_supported()
                               else 'float16')
    return cfg
