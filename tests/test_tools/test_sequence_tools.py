"""tools/dist_train.sh (tools/train.py under torchrun) and tools/test.py with
the VideoPose3D sequence-lifting sample config (MMPose's recipe on
H36MSequenceDataset, the synthetic sample in data/h36m_videopose3d_sample) on
CPU."""
import os.path as osp
import re

import pytest

from ._tool_utils import free_port, run_tool, val_metrics

VP3D_SAMPLE = ('configs/video_pose_lift/video-pose-lift_tcn-27frm-supv-cpn-ft_'
               '1xb64-3e_h36m-videopose3d-sample.py')
TEST_ACTIONS = ('Directions', 'SittingDown', 'TakingPhoto', 'Walking',
                'WalkingDog')
TEST_FRAMES = 154  # S9 + S11 of the sample, camera 0 (kept short)
ONE_CAMERA = [f'{loader}.dataset.cameras=[0]'
              for loader in ('train_dataloader', 'test_dataloader',
                             'val_dataloader')]


def _action_table(output: str) -> dict:
    """Frames per row of the last printed per-action table."""
    rows = re.findall(r'^([\w/]+) +(\d+) +[\d.]+ +[\d.]+$', output, re.M)
    return {name: int(frames) for name, frames in rows}


@pytest.fixture(scope='module')
def dist_run(tmp_path_factory):
    """Two gloo processes, one epoch, validation at its end (on the test
    subjects here, to compare with the test tool; the config trains on S1 and
    validates on S5)."""
    work_dir = str(tmp_path_factory.mktemp('vp3d_dist'))
    output = run_tool(
        ['tools/dist_train.sh', VP3D_SAMPLE, '2', '--work-dir', work_dir,
         '--cfg-options', 'train_cfg.max_epochs=1', 'train_cfg.val_interval=1',
         'randomness.seed=0', 'default_hooks.logger.interval=1', *ONE_CAMERA,
         'train_dataloader.dataset.subjects=[S1,S5]',
         'val_dataloader.dataset.subjects=[S9,S11]'],
        env=dict(PORT=str(free_port())))
    return dict(output=output, ckpt=osp.join(work_dir, 'epoch_1.pth'))


def test_dist_train_two_processes(dist_run):
    output = dist_run['output']
    assert 'distributed backend set to gloo' in output
    losses = [float(v) for v in re.findall(r'\bloss: ([\d.]+)', output)]
    assert len(losses) == 2  # 192 windows / 2 ranks / batch 64
    assert osp.isfile(dist_run['ckpt'])
    # the evaluation gathered both ranks: every test frame, once
    table = _action_table(output)
    assert sum(table[a] for a in TEST_ACTIONS) == TEST_FRAMES
    assert table['mean/action'] == table['mean/frame'] == TEST_FRAMES


def test_test_tool_prints_the_action_table(dist_run, tmp_path):
    output = run_tool(['tools/test.py', VP3D_SAMPLE, dist_run['ckpt'],
                       '--work-dir', str(tmp_path), '--cfg-options',
                       *ONE_CAMERA])
    (tested, ) = val_metrics(output)
    # one process sees what the two ranks gathered
    (gathered, ) = val_metrics(dist_run['output'])
    assert tested['P1'] == pytest.approx(gathered['P1'], abs=0.01)
    assert tested['P2'] == pytest.approx(gathered['P2'], abs=0.01)
    table = _action_table(output)
    assert set(TEST_ACTIONS) <= set(table)
    assert table['mean/frame'] == TEST_FRAMES
    for action in TEST_ACTIONS:
        assert re.search(rf'\bP1/{action}: [\d.]+', output)
