# MPM pose completion 2D -> 3D (the reference's `--comp2dlift`): 27-frame 2D
# windows with one joint group or N random joints hidden in every frame
# ("tube" masks; 2D manners 0-3 = legs, arms, right limbs, left limbs, 9 = 6
# random joints), reconstructed in 2D and lifted to 3D; loss 2D + 2 * lift.
# Encoder L3, decoders 2 layers, batch 2048, lr 2e-4 (reference README); no
# frame is masked. Test: flip test; metrics per manner (MPMCompletionMetric:
# 2D error x1000 in normalised units on the masked joints, lift MPJPE mm).
# The SPEC gives no epoch count: 50 is our choice.
_base_ = ['./mpm-pretrain_c256-l4-243frm-tds2-cpn_1xb512-50e_h36m-videopose3d.py']

num_frames = 27
seq_step = 1
geometry = dict(num_keypoints=17, num_frames=num_frames, embed_dims=256, hidden_dims=512)
mask_cfg = dict(type='GenerateMPMMasks', mode='tube', manners_2d=(0, 1, 2, 3, 9),
                manners_3d=(0, 1, 2, 3, 6))

model = dict(
    backbone=dict(num_layers=3, **geometry),
    head=dict(num_layers=2, **geometry),
    tasks=('pose2d', 'lift'),
    loss_weights=dict(pose2d=1., lift=2.),
    test_cfg=dict(flip_test=True, flip_masks=True))

codec = {{_base_.codec}}
meta_keys = {{_base_.meta_keys}}
train_pipeline = [
    dict(type='RandomFlipPoseSequence', flip_prob=0.5),
    dict(type='SetWindowLiftingTarget'),
    dict(type='GenerateTarget', encoder=codec),
    mask_cfg,
    dict(type='PackPoseInputs', meta_keys=meta_keys),
]
val_pipeline = [
    dict(type='SetWindowLiftingTarget'),
    dict(type='GenerateTarget', encoder=codec),
    dict(mask_cfg, seed=0),
    dict(type='PackPoseInputs', meta_keys=meta_keys),
]
train_dataloader = dict(
    batch_size=2048,
    dataset=dict(seq_len=num_frames, seq_step=seq_step, pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=2048,
    dataset=dict(seq_len=num_frames, seq_step=seq_step, pipeline=val_pipeline))
test_dataloader = val_dataloader

optim_wrapper = dict(optimizer=dict(lr=2e-4))
auto_scale_lr = dict(base_batch_size=2048)
default_hooks = dict(checkpoint=dict(save_best='mpm/lift_mpjpe'))
