import os.path as osp

import pytest
from mmengine.config import Config

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CFG = osp.join(ROOT, 'configs', 'finepose')
CPN = 'finepose_mixste-243frm-cpn_clip-b32_1xb4-100e_h36m-videopose3d.py'
GT = 'finepose_mixste-243frm-gt_clip-b32_1xb4-120e_h36m-videopose3d.py'


def load(name):
    return Config.fromfile(osp.join(CFG, name))


@pytest.mark.parametrize('name,epochs,keypoints', [(CPN, 100, 'data_2d_h36m_cpn_ft_h36m_dbb.npz'),
                                                   (GT, 120, 'data_2d_h36m_gt.npz')])
def test_reference_recipe_and_evaluation_setting(name, epochs, keypoints):
    cfg = load(name)
    assert cfg.optim_wrapper.optimizer == dict(type='AdamW', lr=6e-5, weight_decay=0.1)
    assert cfg.param_scheduler[0].gamma == 0.993 and cfg.param_scheduler[0].end == epochs
    assert cfg.train_cfg.max_epochs == epochs and cfg.train_dataloader.batch_size == 4
    assert cfg.model.backbone.num_frames == 243 and cfg.model.backbone.embed_dims == 512
    assert cfg.model.backbone.depth == 8
    assert (cfg.model.test_cfg.num_hypotheses, cfg.model.test_cfg.num_steps) == (20, 10)
    assert cfg.train_dataloader.dataset.pipeline[0].type == 'RandomFlipPoseSequence'
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        assert cfg[loader].dataset.keypoint_2d_file == keypoints
    # model selection on a held-out training subject, never the test subjects
    assert cfg.val_dataloader.dataset.subjects == ['S8']
    assert 'S8' not in cfg.train_dataloader.dataset.subjects
    assert cfg.test_dataloader.dataset.subjects == ['S9', 'S11']
    assert cfg.model.test_cfg.aggregation in ('P-Agg', 'J-Agg')


@pytest.mark.parametrize('name', [CPN, GT])
def test_ref_configs_change_only_the_faithful_switches(name):
    default, ref = load(name), load(name.replace('finepose_', 'finepose-ref_'))
    assert default.model.backbone.text_rows == 'sample' and ref.model.backbone.text_rows == 'modulo'
    assert ref.model.text_encoder.pool_index == 'action_eot'
    assert ref.model.text_encoder.train_prompts is False
    assert ref.model.train_cfg == dict(loss='reference', action_drop_prob=0.0,
                                       action_field='action_word')
    assert ref.model.test_cfg.action_field == 'action_word'
    assert ref.model.test_cfg.use_gt_action and ref.model.test_cfg.noise == 'global'
    # headline: the reference's JPMA (ground-truth root trajectory) in -ref, the
    # mean of the hypotheses (no ground truth at all) by default
    assert ref.model.test_cfg.aggregation == 'J-Agg'
    assert default.model.test_cfg.aggregation == 'P-Agg'
    assert ref.test_evaluator.p_best_pool == 'batch'
    assert default.test_evaluator.p_best_pool == 'sample'
    # everything else is inherited
    for key in ('optim_wrapper', 'param_scheduler', 'train_dataloader', 'test_dataloader'):
        assert ref[key] == default[key]
    a, b = ref.model.to_dict(), default.model.to_dict()
    for part, keys in (('backbone', {'text_rows'}),
                       ('text_encoder', {'pool_index', 'train_prompts'})):
        assert {k: v for k, v in a[part].items() if k not in keys} == \
            {k: v for k, v in b[part].items() if k not in keys}
