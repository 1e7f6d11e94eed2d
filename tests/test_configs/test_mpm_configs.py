import glob
import os.path as osp

import pytest
from mmengine.config import Config
from mmpose.registry import MODELS

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIGS = sorted(glob.glob(osp.join(ROOT, 'configs', 'mpm', '*.py')))


def load(name):
    return Config.fromfile(osp.join(ROOT, 'configs', 'mpm', name))


def test_every_config_builds_its_model():
    assert len(CONFIGS) >= 11
    for path in CONFIGS:
        cfg = Config.fromfile(path)
        assert cfg.custom_imports.imports == ['metapose_plugin']
        model = cfg.model.copy()
        model.backbone.pop('init_cfg', None)
        built = MODELS.build(model)
        frames = cfg.train_dataloader.dataset.seq_len
        assert built.backbone.num_frames == frames, path
        assert 'refine' not in osp.basename(path) or built.refine is not None


@pytest.mark.parametrize('default,ref', [
    ('mpm-pretrain_c256-l4-243frm-tds2-cpn_1xb512-50e_h36m-videopose3d.py',
     'mpm-pretrain-ref_c256-l4-243frm-tds2-cpn_1xb512-50e_h36m-videopose3d.py'),
    ('mpm-comp2dlift_c256-l3-27frm-cpn_1xb2048-50e_h36m-videopose3d.py',
     'mpm-comp2dlift-ref_c256-l3-27frm-cpn_1xb2048-50e_h36m-videopose3d.py'),
    ('mpm-comp3d_c256-l3-27frm_1xb2048-50e_h36m-videopose3d.py',
     'mpm-comp3d-ref_c256-l3-27frm_1xb2048-50e_h36m-videopose3d.py'),
])
def test_ref_configs_switch_to_the_reference_behaviour(default, ref):
    default, ref = load(default), load(ref)
    assert default.model.loss_on_masked and not ref.model.loss_on_masked
    assert default.val_evaluator.masked_only and not ref.val_evaluator.masked_only
    assert ref.model.backbone.encode_masked_frames
    ref.model.backbone.encode_masked_frames = default.model.backbone.encode_masked_frames
    assert default.model.backbone == ref.model.backbone


def test_published_geometry_and_stage_settings():
    pre = load('mpm-pretrain_c256-l4-243frm-tds2-cpn_1xb512-50e_h36m-videopose3d.py')
    assert pre.train_dataloader.dataset.seq_step == 2
    assert (pre.model.backbone.embed_dims, pre.model.backbone.hidden_dims,
            pre.model.backbone.num_layers) == (256, 512, 4)
    assert pre.model.loss_weights.pose2d == 5 and pre.model.loss_weights.pose3d == 2
    assert pre.model.tasks == ('pose2d', 'pose3d') and not pre.model.share_masks
    ref = load('mpm-pretrain-ref_c256-l4-243frm-tds2-cpn_1xb512-50e_h36m-videopose3d.py')
    assert ref.model.share_masks
    # evaluation masks are seeded, training masks come from the seeded workers
    assert pre.val_dataloader.dataset.pipeline[2].seed == 0
    assert 'seed' not in pre.train_dataloader.dataset.pipeline[3]
    lift = load('mpm-lift_c256-l4-243frm-tds2-cpn_1xb256-50e_h36m-videopose3d.py')
    assert lift.model.backbone.init_cfg.type == 'PretrainedFromRun'
    assert lift.model.backbone.init_cfg.prefix == 'backbone.'
    assert lift.model.backbone.init_cfg.checkpoint == 'epoch_50.pth'
    assert lift.model.test_cfg.flip_test and lift.model.get('refine') is None
    comp = load('mpm-comp2dlift_c256-l3-27frm-cpn_1xb2048-50e_h36m-videopose3d.py')
    assert comp.model.tasks == ('pose2d', 'lift') and comp.model.head.num_layers == 2
    assert comp.train_dataloader.dataset.pipeline[3].mode == 'tube'


@pytest.mark.parametrize('lift,pretrain,epochs', [
    ('mpm-lift_c256-l4-243frm-tds2-cpn_1xb256-50e_h36m-videopose3d.py',
     'mpm-pretrain_c256-l4-243frm-tds2-cpn_1xb512-50e_h36m-videopose3d.py', 50),
    ('mpm-lift_tiny-27frm-tds2_1xb32-2e_h36m-videopose3d-sample.py',
     'mpm-pretrain_tiny-27frm-tds2_1xb32-2e_h36m-videopose3d-sample.py', 2),
    ('mpm-lift_c256-l4-243frm-gt-16j_1xb256-50e_mpi-inf-3dhp.py',
     'mpm-pretrain-ref_c256-l4-243frm-tds2-cpn-16j_1xb512-50e_h36m-videopose3d.py', 50),
])
def test_lift_configs_name_the_pretraining_run_they_start_from(lift, pretrain, epochs):
    """The chain: the encoder comes from the last epoch of the named pretraining config,
    whose encoder geometry matches the lifter's."""
    lift, pre_path = load(lift), osp.join(ROOT, 'configs', 'mpm', pretrain)
    init = lift.model.backbone.init_cfg
    assert osp.samefile(init.config, pre_path)
    pre = Config.fromfile(pre_path)
    assert init.checkpoint == f'epoch_{pre.train_cfg.max_epochs}.pth' == f'epoch_{epochs}.pth'
    for key in ('num_keypoints', 'embed_dims', 'hidden_dims', 'num_layers'):
        assert lift.model.backbone[key] == pre.model.backbone[key], key
