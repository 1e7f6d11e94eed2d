import pytest
import torch
from mmengine.config import Config

from metapose_plugin.engine import (adapt_dist_to_cpu, device_cfg,
                                    init_cpu_process_group, select_amp_dtype)


def _cfg(launcher='pytorch', backend='nccl', optim_type='AmpOptimWrapper',
         **optim):
    return Config(
        dict(
            launcher=launcher,
            env_cfg=dict(dist_cfg=dict(backend=backend)),
            optim_wrapper=dict(type=optim_type, **optim)))


@pytest.fixture
def cuda(monkeypatch):
    """``cuda(available, bf16)`` fakes the CUDA capabilities."""

    def fake(available, bf16=False):
        monkeypatch.setattr(device_cfg, 'is_cuda_available',
                            lambda: available)
        monkeypatch.setattr(torch.cuda, 'is_bf16_supported', lambda: bf16)

    return fake


@pytest.mark.parametrize('launcher, available, cli, expected', [
    ('pytorch', False, None, 'gloo'),
    ('slurm', False, {}, 'gloo'),
    ('pytorch', True, None, 'nccl'),
    ('none', False, None, 'nccl'),
    ('pytorch', False, {'env_cfg.dist_cfg.backend': 'nccl'}, 'nccl'),
])
def test_adapt_dist_to_cpu(cuda, launcher, available, cli, expected):
    cuda(available)
    cfg = adapt_dist_to_cpu(_cfg(launcher), cli)
    assert cfg.env_cfg.dist_cfg.backend == expected
    wrapper = cfg.get('model_wrapper_cfg')
    if launcher != 'none' and not available:
        assert wrapper.type == 'MMDistributedDataParallel'
        assert wrapper.device_ids is None
    else:
        assert wrapper is None


def test_own_model_wrapper_is_kept(cuda):
    cuda(False)
    cfg = _cfg()
    cfg.model_wrapper_cfg = dict(type='MMFullyShardedDataParallel')
    cfg = adapt_dist_to_cpu(cfg)
    assert cfg.model_wrapper_cfg == dict(type='MMFullyShardedDataParallel')


def test_init_cpu_process_group(cuda, monkeypatch):
    """A one-process torchrun environment: the group starts with the
    config's backend and timeout."""
    cuda(False)
    import socket
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        port = sock.getsockname()[1]
    for key, value in dict(RANK='0', WORLD_SIZE='1', MASTER_ADDR='127.0.0.1',
                           MASTER_PORT=str(port)).items():
        monkeypatch.setenv(key, value)
    cfg = _cfg(backend='gloo')
    cfg.env_cfg.dist_cfg.timeout = 60
    init_cpu_process_group(_cfg(launcher='none'))
    assert not torch.distributed.is_initialized()
    init_cpu_process_group(cfg)
    try:
        assert torch.distributed.get_backend() == 'gloo'
        assert torch.distributed.get_world_size() == 1
    finally:
        torch.distributed.destroy_process_group()


def test_config_without_env_cfg(cuda):
    cuda(False)
    cfg = adapt_dist_to_cpu(Config(dict(launcher='pytorch')))
    assert cfg.env_cfg.dist_cfg.backend == 'gloo'


def test_other_backend_is_kept(cuda):
    cuda(False)
    cfg = adapt_dist_to_cpu(_cfg(backend='mpi'))
    assert cfg.env_cfg.dist_cfg.backend == 'mpi'


@pytest.mark.parametrize('bf16, expected', [(True, 'bfloat16'),
                                            (False, 'float16')])
def test_amp_dtype_on_cuda(cuda, bf16, expected):
    cuda(True, bf16)
    assert select_amp_dtype(_cfg()).optim_wrapper.dtype == expected


def test_amp_keeps_explicit_dtype(cuda):
    cuda(True, True)
    cfg = select_amp_dtype(_cfg(dtype='float16'))
    assert cfg.optim_wrapper.dtype == 'float16'


def test_amp_on_cpu_is_a_clear_error(cuda):
    cuda(False)
    with pytest.raises(RuntimeError, match='--amp'):
        select_amp_dtype(_cfg())
    # Without AMP nothing is required of the device.
    cfg = select_amp_dtype(_cfg(optim_type='OptimWrapper'))
    assert 'dtype' not in cfg.optim_wrapper
