"""kill -9 during a checkpoint save (and mid-epoch), then resume: every
method family's training finishes from the last complete epoch with the same
final weights as a run that was never interrupted.

Each family's tiny config trains 2 epochs on its shipped sample (fixed seed,
data in the main process, a checkpoint every epoch, one kept, a few
iterations per epoch). ``tools/train.py`` runs in a subprocess that kills
itself (``tests/test_tools/_kill_driver.py``) during the save of
``epoch_2.pth``, at a different moment of the save per family (the six
:data:`_kill_driver.STAGES`; the byte fraction of a write is drawn from a
seeded generator). After the kill, ``last_checkpoint`` must name a complete,
loadable checkpoint; the resumed run must remove the leftover temporary
files and end with weights equal, bit for bit, to those of the run that was
not interrupted. The uninterrupted run and the resumes run in this process
(one thread, as the tool; the uninterrupted one while the killed one runs);
VideoPose3D is first resumed with ``tools/train.py --resume``, killed again
in the middle of epoch 2, and then resumed once more.
"""
import os
import os.path as osp
import re
import signal
import subprocess
import sys

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmpose.registry import RUNNERS

from ._tool_utils import CAPF_TINY, REPO

DRIVER = osp.join('tests', 'test_tools', '_kill_driver.py')
EPOCHS = KILLED_SAVE = 2
COMMON = {
    'train_cfg.max_epochs': EPOCHS, 'train_cfg.val_interval': 100, 'randomness.seed': 0,
    'default_hooks.checkpoint.interval': 1, 'default_hooks.checkpoint.max_keep_ckpts': 1,
    'train_dataloader.num_workers': 0, 'train_dataloader.persistent_workers': False,
    'default_hooks.logger.interval': 1,
}
# a fifth of the sequence sample's S1 windows: 2-3 iterations per epoch
SUBSET = {'train_dataloader.dataset.subset_frac': 0.2}

#: family -> (config, --cfg-options, stage of the save at which it is killed)
FAMILIES = {
    'finepose': ('configs/finepose/'
                 'finepose_tiny-mixste-27frm-cpn_clip_1xb4-1e_h36m-videopose3d-sample.py',
                 {'train_dataloader.batch_size': 8}, 'checkpoint_write'),
    'mpm_pretrain': ('configs/mpm/mpm-pretrain_tiny-27frm-tds2_1xb32-2e_h36m-videopose3d-sample.py',
                     SUBSET, 'serialise'),
    'mpm_lift': ('configs/mpm/mpm-lift_tiny-27frm-tds2_1xb32-2e_h36m-videopose3d-sample.py',
                 dict(SUBSET, **{'model.backbone.init_cfg': None}), 'remove_outdated'),
    'multiview': ('configs/multiview_metapose/'
                  'multiview-metapose_tiny-ccat-mlp-1stage_1xb32-10e_h36m-videopose3d-sample.py',
                  {f'{loader}.dataset.{key}': value for loader in ('train_dataloader',
                                                                   'val_dataloader')
                   for key, value in (('stage1.opt_steps', 5), ('stage1.report_n_results', 5),
                                      ('frame_step', 2))},
                  'pointer_write'),
    'video_pose_lift': ('configs/video_pose_lift/'
                        'video-pose-lift_tcn-27frm-supv-cpn-ft_1xb64-3e_h36m-videopose3d-sample.py',
                        SUBSET, 'checkpoint_rename'),
    'capf': (CAPF_TINY, {}, 'pointer_rename'),  # the 4-frame image sample
}


def _options(family: str) -> dict:
    return dict(COMMON, **FAMILIES[family][1])


def _train_args(family: str, work_dir: str, resume: bool = False) -> list:
    options = [f'{key}={value}' for key, value in _options(family).items()]
    return ['tools/train.py', FAMILIES[family][0], '--work-dir', work_dir,
            *(['--resume'] if resume else []), '--cfg-options', *options]


def _start_killed(args: list, kill: list) -> subprocess.Popen:
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHONPATH=os.pathsep.join(
        p for p in (REPO, os.environ.get('PYTHONPATH')) if p))
    return subprocess.Popen([sys.executable, DRIVER, *kill, '--', *args], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _train_in_process(family: str, work_dir: str, resume: bool = False) -> None:
    """Train (or resume) as the tool does, in this process, one thread."""
    cfg = Config.fromfile(osp.join(REPO, FAMILIES[family][0]))
    cfg.merge_from_dict(_options(family))
    cfg.work_dir, cfg.resume = work_dir, resume
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with DefaultScope.overwrite_default_scope('mmpose'):
            RUNNERS.build(cfg).train()
    finally:
        torch.set_num_threads(threads)


def _weights(path: str) -> dict:
    return torch.load(path, map_location='cpu')['state_dict']


def _pointer(work_dir: str) -> str:
    with open(osp.join(work_dir, 'last_checkpoint')) as file:
        return file.read().strip()


def _temporaries(work_dir: str) -> list:
    return sorted(f for f in os.listdir(work_dir) if f.endswith('.tmp'))


def _check_killed(proc: subprocess.Popen, work_dir: str, epoch: int) -> tuple:
    """The killed run died by SIGKILL and left a pointer to the complete
    checkpoint of ``epoch``; returns the temporary files it left and its
    output (also kept as ``proc.stdout_text``)."""
    output, _ = proc.communicate(timeout=900)
    proc.stdout_text = output
    assert proc.returncode == -signal.SIGKILL, output[-4000:]
    pointer = _pointer(work_dir)
    assert pointer == osp.join(work_dir, f'epoch_{epoch}.pth')
    assert torch.load(pointer, map_location='cpu')['meta']['epoch'] == epoch
    return _temporaries(work_dir), output


def _kill_and_resume(tmp_path, family: str, kill: list, epoch: int,
                     leaves_temporary: bool) -> None:
    """Kill a run (``kill``: driver arguments), check what it left, resume it
    and compare the final weights with the uninterrupted run's."""
    whole, killed = str(tmp_path / 'whole'), str(tmp_path / 'killed')
    proc = _start_killed(_train_args(family, killed), kill)
    _train_in_process(family, whole)
    stale, _ = _check_killed(proc, killed, epoch)
    assert bool(stale) == leaves_temporary, stale
    if family == 'video_pose_lift':  # through the tool, killed once more mid-epoch
        iterations = int(re.findall(r'Epoch\(train\) +\[1\]\[\d+/(\d+)\]',
                                    proc.stdout_text)[0])
        assert iterations >= 2
        proc = _start_killed(_train_args(family, killed, resume=True),
                             ['--kill-iter', str(iterations + 1)])  # epoch 2's second
        left, output = _check_killed(proc, killed, epoch)
        assert f'resumed epoch: {epoch}' in output and not left
        for name in stale:
            assert f'Removed {osp.join(killed, name)}' in output
    _train_in_process(family, killed, resume=True)
    assert not _temporaries(killed)
    final = f'epoch_{EPOCHS}.pth'
    assert _pointer(killed) == osp.join(killed, final)
    kept = [f for f in os.listdir(killed) if re.fullmatch(r'epoch_\d+\.pth', f)]
    # killed before removing epoch_1.pth, the run no longer tracks that file
    assert sorted(kept) == ([final] if FAMILIES[family][2] != 'remove_outdated' else
                            ['epoch_1.pth', final])
    expected, got = _weights(osp.join(whole, final)), _weights(osp.join(killed, final))
    assert list(got) == list(expected)
    for key, value in expected.items():
        assert torch.equal(got[key], value), key


@pytest.mark.parametrize('family', sorted(FAMILIES))
def test_kill_during_save_then_resume(tmp_path, family):
    stage = FAMILIES[family][2]
    fraction = np.random.default_rng(sorted(FAMILIES).index(family)).uniform(0.05, 0.95)
    # killed after epoch 2's pointer is in place, the last complete epoch is
    # 2; before, it is 1
    last_complete = KILLED_SAVE if stage == 'remove_outdated' else KILLED_SAVE - 1
    kill = ['--kill-save', str(KILLED_SAVE), '--stage', stage, '--fraction', f'{fraction:.3f}']
    _kill_and_resume(tmp_path, family, kill, last_complete,
                     leaves_temporary=stage.endswith(('_write', '_rename')))
