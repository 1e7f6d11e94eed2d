# The fine-tuned MPM lifter (Zhang, Chai et al., arXiv 2306.17201) on
# Human3.6M, CPN 2D, 243 frames every 2nd frame: the pretrained encoder
# (loaded through the backbone's init_cfg from a pretraining checkpoint, only
# its `backbone.` keys; the 3D embedding and the encoder norm of pretraining
# are not part of the lifter) + a head for every frame + the strided
# transformer reducing to the centre frame. Loss MPJPE(all frames) +
# MPJPE(centre); test: centre frame, flip test, per-action P1/P2.
# The SPEC gives no fine-tuning batch, learning rate or epochs: batch 256,
# Adam (amsgrad) lr 1e-4 x 0.97 per epoch, 50 epochs are our choice.
_base_ = ['../_base_/default_runtime.py', '../_base_/datasets/h36m_videopose3d.py']
custom_imports = dict(imports=['metapose_plugin'], allow_failed_imports=False)

num_keypoints = 17
num_frames = 243
seq_step = 2
geometry = dict(num_keypoints=num_keypoints, num_frames=num_frames, embed_dims=256,
                hidden_dims=512)
# the pretraining run whose encoder this lifter starts from: its config, and the
# checkpoint its run writes (`PretrainedFromRun` finds that run's work_dir)
pretrain_config = ('{{ fileDirname }}/'
                   'mpm-pretrain_c256-l4-243frm-tds2-cpn_1xb512-50e_h36m-videopose3d.py')
pretrain_checkpoint = 'epoch_50.pth'

# what H36MSequenceMetric reads, and the camera of the refine stage
meta_keys = ('id', 'category_id', 'target_img_path', 'flip_indices', 'target_root', 'subject',
             'action', 'subaction', 'camera_id', 'target_frame_ids', 'target_pad_mask',
             'camera_param')
codec = dict(type='VideoPoseLifting', num_keypoints=num_keypoints, zero_center=True,
             root_index=0, remove_root=False, reshape_keypoints=False, normalize_camera=True)

model = dict(
    type='MPMSequenceLifter',
    backbone=dict(
        type='MPMEncoder',
        num_layers=4,
        modalities=('pose2d', ),
        drop=0.2,
        with_mask_token=False,
        final_norm=False,
        init_cfg=dict(type='PretrainedFromRun', config=pretrain_config,
                      checkpoint=pretrain_checkpoint, prefix='backbone.'),
        **geometry),
    head=dict(type='MPMLiftingHead', drop=0.2, **geometry),
    test_cfg=dict(flip_test=True))

train_pipeline = [
    dict(type='RandomFlipPoseSequence', flip_prob=0.5),
    dict(type='SetWindowLiftingTarget'),
    dict(type='GenerateTarget', encoder=codec),
    dict(type='PackPoseInputs', meta_keys=meta_keys),
]
val_pipeline = [
    dict(type='GenerateTarget', encoder=codec),
    dict(type='PackPoseInputs', meta_keys=meta_keys),
]
dataset = dict(
    _base_.videopose3d_dataset, seq_len=num_frames, seq_step=seq_step, sample_mode='per_frame')
train_dataloader = dict(
    _base_.sequence_train_loader,
    batch_size=256,
    num_workers=4,
    dataset=dict(dataset, subjects=_base_.videopose3d_train_subjects, pipeline=train_pipeline))
val_dataloader = dict(
    _base_.sequence_test_loader,
    batch_size=256,
    num_workers=4,
    dataset=dict(
        dataset, subjects=_base_.videopose3d_val_subjects, test_mode=True,
        pipeline=val_pipeline))
test_dataloader = dict(
    val_dataloader,
    dataset=dict(val_dataloader['dataset'], subjects=_base_.videopose3d_test_subjects))
val_evaluator = dict(type='H36MSequenceMetric')
test_evaluator = val_evaluator

train_cfg = dict(by_epoch=True, max_epochs=50, val_interval=1)
optim_wrapper = dict(optimizer=dict(type='Adam', lr=1e-4, amsgrad=True))
param_scheduler = [dict(type='ExponentialLR', gamma=0.97, by_epoch=True)]
auto_scale_lr = dict(base_batch_size=256)
default_hooks = dict(
    checkpoint=dict(save_best='P1', rule='less', max_keep_ckpts=1),
    logger=dict(type='LoggerHook', interval=50))
