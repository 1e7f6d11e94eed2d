# MPM pretraining (Zhang, Chai et al., arXiv 2306.17201) on Human3.6M 17
# joints: masked 2D and masked 3D modelling with one shared encoder (the
# paper's v2: no lifting task), 243 frames every 2nd frame (tds 2), C 256,
# D 512, 4 encoder layers, 1 decoder layer, frame mask ratio 0.6, 5 masked
# joints per frame, losses 5 * 2D + 2 * 3D, Adam (amsgrad) lr 1e-4 x 0.97
# per epoch. The reference's batch of 1024 items is half 2D-only, half
# 3D-only windows; our windows carry both, so 512 windows give the same 512
# 2D + 512 3D sequences per step.
#
# Default behaviour (the `mpm-pretrain-ref` config restores the reference):
# per-window masks from a seeded generator (evaluation reproducible), losses
# on the masked joints only, and the per-frame layers run on the kept frames
# only (the reference also runs them on masked frames, whose features it then
# drops: only the training BatchNorm statistics differ; less time and memory).
# `model.backbone.with_cp=True` trades time for memory with the same numbers.
_base_ = ['../_base_/default_runtime.py', '../_base_/datasets/h36m_videopose3d.py']
custom_imports = dict(imports=['metapose_plugin'], allow_failed_imports=False)

num_keypoints = 17
num_frames = 243
seq_step = 2
geometry = dict(num_keypoints=num_keypoints, num_frames=num_frames, embed_dims=256,
                hidden_dims=512)

# 2D normalised X / w * 2 - [1, h / w]; 3D root-relative camera-frame metres
codec = dict(type='VideoPoseLifting', num_keypoints=num_keypoints, zero_center=True,
             root_index=0, remove_root=False, reshape_keypoints=False, normalize_camera=True)
mask_cfg = dict(type='GenerateMPMMasks', mode='random', num_masked_joints=5,
                frame_mask_ratio=0.6)
mask_meta_keys = ('mpm_joint_mask_2d', 'mpm_frame_mask_2d', 'mpm_joint_mask_3d',
                  'mpm_frame_mask_3d', 'mpm_manner_2d', 'mpm_manner_3d')
meta_keys = ('id', 'category_id', 'flip_indices', 'subject', 'action', 'camera_id') + \
    mask_meta_keys

model = dict(
    type='MPMMaskedPoseModel',
    backbone=dict(type='MPMEncoder', num_layers=4, drop=0.1, encode_masked_frames=False,
                  **geometry),
    head=dict(type='MPMReconstructionHead', num_layers=1, drop=0.1, **geometry),
    tasks=('pose2d', 'pose3d'),
    loss_weights=dict(pose2d=5., pose3d=2., lift=1.),
    share_masks=False,
    loss_on_masked=True)

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
dataset = dict(
    _base_.videopose3d_dataset, seq_len=num_frames, seq_step=seq_step, sample_mode='per_frame')
train_dataloader = dict(
    _base_.sequence_train_loader,
    batch_size=512,
    num_workers=4,
    dataset=dict(dataset, subjects=_base_.videopose3d_train_subjects, pipeline=train_pipeline))
val_dataloader = dict(
    _base_.sequence_test_loader,
    batch_size=512,
    num_workers=4,
    dataset=dict(
        dataset, subjects=_base_.videopose3d_val_subjects, test_mode=True,
        pipeline=val_pipeline))
test_dataloader = dict(
    val_dataloader,
    dataset=dict(val_dataloader['dataset'], subjects=_base_.videopose3d_test_subjects))
val_evaluator = dict(type='MPMCompletionMetric', masked_only=True)
test_evaluator = val_evaluator

train_cfg = dict(by_epoch=True, max_epochs=50, val_interval=1)
optim_wrapper = dict(optimizer=dict(type='Adam', lr=1e-4, amsgrad=True))
param_scheduler = [dict(type='ExponentialLR', gamma=0.97, by_epoch=True)]
auto_scale_lr = dict(base_batch_size=512)
default_hooks = dict(
    checkpoint=dict(interval=1, save_best='mpm/pose2d_x1000',
                    rule='less', max_keep_ckpts=1),
    logger=dict(type='LoggerHook', interval=50))
