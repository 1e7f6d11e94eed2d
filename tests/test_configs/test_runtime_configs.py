"""Every training config of every method gets the plugin's runtime (crash-safe
checkpoints, checked loading) and validates on data that is not the test
set."""
import glob
import os.path as osp

import pytest
from mmengine.config import Config

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIGS = sorted(osp.relpath(p, REPO) for p in glob.glob(osp.join(REPO, 'configs', '*', '*.py'))
                 if '/_base_/' not in p)
#: configs that start training from a partial checkpoint on purpose
PARTIAL = {'configs/mpm/mpm-lift-refine-ref_c256-l4-243frm-tds2-cpn_1xb256-20e_'
           'h36m-videopose3d.py'}
H36M_TEST_SUBJECTS = {'S9', 'S11'}


def test_every_method_has_configs():
    methods = {path.split('/')[1] for path in CONFIGS}
    assert methods == {'capf', 'finepose', 'metapose', 'motionbert', 'mpm', 'multiview_metapose',
                       'video_pose_lift'}


@pytest.mark.parametrize('path', CONFIGS)
def test_runtime_and_validation_split(path):
    cfg = Config.fromfile(osp.join(REPO, path))
    assert cfg.runner_type == 'StrictLoadRunner'
    assert cfg.default_hooks.checkpoint.type == 'AtomicCheckpointHook'
    assert 'backend_args' not in cfg.default_hooks.checkpoint  # the atomic backend
    assert cfg.load_from_partial is (path in PARTIAL)
    dataset = cfg.val_dataloader.dataset
    test = cfg.test_dataloader.dataset
    if dataset.type in ('H36MSequenceDataset', 'H36MMultiViewDataset'):
        assert dataset.subjects and not H36M_TEST_SUBJECTS & set(dataset.subjects), path
        assert dataset.subjects != test.subjects
    elif dataset.type == 'H36MImageDataset':
        # the 4-frame sample (S1 S5 S7 S8) or the training pickle's S8
        assert dataset.ann_file != 'h36m_validation.pkl', path
        if dataset.get('subjects'):
            assert not H36M_TEST_SUBJECTS & set(dataset.subjects), path
    else:
        assert dataset.type == 'MPIINF3DHPSequenceDataset', path
        assert dataset.sequences and not any(s.startswith('TS') for s in dataset.sequences)
        assert dataset.ann_file != test.ann_file


def test_h36m_image_split():
    cfg = Config.fromfile(osp.join(REPO, 'configs/capf/capf_hrnet-w32-cpn_1xb512-60e_'
                                   'h36m-256x192.py'))
    assert cfg.train_dataloader.dataset.subjects == ['S1', 'S5', 'S6', 'S7']
    assert (cfg.val_dataloader.dataset.ann_file, cfg.val_dataloader.dataset.subjects) == (
        'h36m_train.pkl', ['S8'])
    assert cfg.test_dataloader.dataset.ann_file == 'h36m_validation.pkl'
    assert cfg.test_dataloader.dataset.subjects is None
