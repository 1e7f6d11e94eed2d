import pytest
import torch
from mmpose.registry import MODELS
from mmpose.structures import PoseDataSample

from metapose_plugin.testing.finepose_models import sequence_samples, tiny_lifter_cfg

F = 9


@pytest.fixture(autouse=True)
def one_thread():
    torch.set_num_threads(1)


def build(**kwargs):
    torch.manual_seed(0)
    model = MODELS.build(tiny_lifter_cfg(num_frames=F, **kwargs))
    model.init_weights()
    torch.nn.init.normal_(model.backbone.text_cross_attn.out_proj.weight, std=0.1)
    return model


def test_loss_trains_denoiser_text_head_and_prompts_not_clip():
    model = build(train_cfg=dict(action_drop_prob=0.5)).train()
    inputs, samples = sequence_samples(2, F, ['Walking', 'Eating'])
    losses = model(inputs, samples, mode='loss')
    assert set(losses) == {'loss_pose3d', 'mpjpe'} and losses['loss_pose3d'] > 0
    losses['loss_pose3d'].backward()
    assert model.backbone.joint_embed.weight.grad is not None
    assert model.text_encoder.prompt_context['verb'].grad is not None
    assert all(p.grad is None for p in model.text_encoder.text_model.parameters())


def test_reference_loss_is_half_squared_mpjpe():
    model, plain = build(train_cfg=dict(loss='reference')), build()
    inputs, samples = sequence_samples(2, F)
    torch.manual_seed(5)
    ref = model(inputs, samples, mode='loss')
    torch.manual_seed(5)
    default = plain(inputs, samples, mode='loss')
    torch.testing.assert_close(ref['mpjpe'], default['mpjpe'])
    torch.testing.assert_close(ref['loss_pose3d'], ref['mpjpe']**2 / 2)


def test_predict_one_batched_denoiser_call_per_step_and_cached_text():
    model = build(test_cfg=dict(keep_steps=True)).eval()
    inputs, samples = sequence_samples(2, F)
    batches, text_runs = [], []
    model.backbone.register_forward_hook(lambda m, a, o: batches.append(a[1].shape))
    model.text_encoder.text_model.encoder.register_forward_hook(lambda m, a, o: text_runs.append(1))
    with torch.no_grad():
        out = model(inputs, samples, mode='predict')
        model(inputs, samples, mode='predict')
    # N = 2 steps per predict, original and mirrored views together: 2B rows
    assert batches == [(4, 3, F, 17, 3)] * 4
    assert len(text_runs) == 1
    pred = out[0].pred_instances
    assert pred.keypoints.shape == (1, F, 17, 3) and pred.hypotheses.shape == (1, 3, F, 17, 3)
    assert pred.steps.shape == (1, 2, 3, F, 17, 3)
    assert pred.hypotheses[..., 0, :].abs().max() == 0
    torch.testing.assert_close(torch.as_tensor(pred.keypoints), pred.hypotheses.mean(dim=1))
    torch.testing.assert_close(pred.steps[:, -1, ..., 1:, :], pred.hypotheses[..., 1:, :])


def test_per_sample_noise_does_not_depend_on_the_batch():
    model = build().eval()
    inputs, samples = sequence_samples(3, F)
    with torch.no_grad():
        together = model(inputs, samples, mode='predict')
        _, alone_samples = sequence_samples(3, F)
        alone = model(inputs[2:], alone_samples[2:], mode='predict')
    torch.testing.assert_close(together[2].pred_instances.hypotheses,
                               alone[0].pred_instances.hypotheses, rtol=1e-5, atol=1e-6)


def test_j_agg_prediction_and_clear_errors():
    model = build(test_cfg=dict(aggregation='J-Agg')).eval()
    inputs, samples = sequence_samples(1, F)
    with torch.no_grad():
        pred = model(inputs, samples, mode='predict')[0].pred_instances
        assert pred.keypoints.shape == (1, F, 17, 3)
        meta = {k: v for k, v in samples[0].metainfo.items() if k != 'camera_param'}
        with pytest.raises(KeyError, match="J-Agg needs metainfo 'camera_param'.*S9/Walking/0"):
            model(inputs, [PoseDataSample(metainfo=meta)], mode='predict')
        with pytest.raises(ValueError, match='window length'):
            model(inputs[:, :F - 1], samples, mode='predict')
    _, bad = sequence_samples(1, F, actions=[''])
    with pytest.raises(ValueError, match="sample S9//0 has metainfo action ''"):
        build(test_cfg=dict(use_gt_action=True))(inputs, bad, mode='predict')
    with pytest.raises(ValueError, match='aggregation'):
        build(test_cfg=dict(aggregation='J-Best'))


def test_action_field_picks_the_prompt_word():
    model = build(test_cfg=dict(use_gt_action=True, action_field='action_word'),
                  train_cfg=dict(action_field='action')).eval()
    _, samples = sequence_samples(2, F)
    for sample, word in zip(samples, ('Photo', 'WalkDog')):
        sample.set_metainfo(dict(action_word=word))
    assert model._actions(samples, training=False) == ['Photo', 'WalkDog']
    assert model._actions(samples, training=True) == [s.metainfo['action'] for s in samples]


def test_samples_without_metainfo_get_input_seeded_noise():
    model = build().eval()
    inputs, _ = sequence_samples(2, F)

    def bare(n):
        return [PoseDataSample(metainfo=dict(flip_indices=list(range(17)))) for _ in range(n)]

    with torch.no_grad():
        both = model(inputs, bare(2), mode='predict')
        one = model(inputs[1:], bare(1), mode='predict')
    assert both[1] is not one[0]
    torch.testing.assert_close(torch.as_tensor(both[1].pred_instances.keypoints),
                               torch.as_tensor(one[0].pred_instances.keypoints),
                               rtol=1e-5, atol=1e-6)
    assert not torch.allclose(both[0].pred_instances.hypotheses, both[1].pred_instances.hypotheses)
