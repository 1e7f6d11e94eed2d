import os.path as osp

import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmpose.registry import MODELS

import metapose_plugin  # noqa: F401 (registration)
from metapose_plugin.testing import get_packed_inputs

CONFIGS = osp.join(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))), 'configs',
                   'metapose')
TINY = 'metapose_tiny-hrnet-cpn_clip_1xb2-1e_h36m-256x192-sample.py'


def load(name):
    return Config.fromfile(osp.join(CONFIGS, name))


def test_variants_inherit_the_right_switches():
    base = load('metapose_hrnet-w32-cpn_clip-b32_1xb400-60e_h36m-256x192.py')
    assert base.model.neck.type == 'MetaPoseNeck' and not base.model.neck.faithful
    assert base.model.text_encoder.train_prompts and base.model.neck.kl_weight > 0
    assert base.optim_wrapper.optimizer.lr == 1e-3 and base.train_dataloader.batch_size == 400
    ref = load('metapose-ref_hrnet-w32-cpn_clip-b32_1xb400-60e_h36m-256x192.py')
    assert ref.model.neck.faithful and ref.model.text_encoder.faithful
    assert not ref.model.text_encoder.train_prompts and ref.model.neck.kl_weight == 0
    l14 = load('metapose_hrnet-w32-cpn_clip-l14_1xb400-60e_h36m-256x192.py')
    assert l14.model.neck.text_channels == 768
    w48 = load('metapose-ref_hrnet-w48-cpn_clip-b32_1xb400-60e_h36m-256x192.py')
    assert w48.model.neck.feat_channels == (48, 96, 192, 384) and w48.model.neck.faithful
    ref_w48_l14 = load('metapose-ref_hrnet-w48-cpn_clip-l14_1xb400-60e_h36m-256x192.py')
    assert ref_w48_l14.model.neck.faithful and not ref_w48_l14.model.text_encoder.train_prompts
    assert ref_w48_l14.model.neck.text_channels == 768
    assert ref_w48_l14.model.backbone.extra.stage4.num_channels == (48, 96, 192, 384)
    assert ref_w48_l14.model.text_encoder.model_name_or_path.endswith('large-patch14')
    w48_l14 = load('metapose_hrnet-w48-cpn_clip-l14_1xb400-60e_h36m-256x192.py')
    assert not w48_l14.model.neck.faithful and w48_l14.model.neck.text_channels == 768
    assert w48_l14.model.neck.feat_channels == (48, 96, 192, 384)


def test_tiny_config_trains_and_predicts_offline():
    cfg = load(TINY)
    torch.manual_seed(0)
    with DefaultScope.overwrite_default_scope('mmpose'):
        model = MODELS.build(cfg.model)
    model.init_weights()
    batch = get_packed_inputs(2, seed=0)
    for sample, action in zip(batch['data_samples'], ('Eating', 'Posing')):
        sample.set_metainfo(dict(action=action))
    data = model.data_preprocessor(batch, training=True)
    model.train()
    losses = model(**data, mode='loss')
    assert set(losses) >= {'loss_pose3d'}
    sum(losses.values()).backward()
    assert model.text_encoder.learnable_prompts.grad is not None
    model.eval()
    with torch.no_grad():
        first = model(**model.data_preprocessor(batch), mode='predict')
        second = model(**model.data_preprocessor(batch), mode='predict')
    assert first[0].pred_instances.keypoints.shape == (1, 17, 3)
    assert (first[0].pred_instances.keypoints == second[0].pred_instances.keypoints).all()
