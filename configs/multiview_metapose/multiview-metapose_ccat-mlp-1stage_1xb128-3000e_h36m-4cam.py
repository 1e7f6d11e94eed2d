# Multi-view MetaPose (Usman et al., CVPR 2022; "S1 + S2") on Human3.6M with
# 4 cameras, default behaviour: no 3D in training or model selection. Stage 1
# (init + iterative refinement) runs when the dataset is built; stage 2 (one
# equivariant stage, the README's H36M spec) trains on the fwd (2D
# reprojection) loss. Model selection and early stopping use the 2D-only
# stage-1 objective on a held-out training subject (S8). The reference
# behaviour is the `multiview-metapose-ref_...` twin.
_base_ = ['../_base_/default_runtime.py', '../_base_/datasets/h36m_videopose3d.py']
custom_imports = dict(imports=['metapose_plugin'], allow_failed_imports=False)

num_views = 4
camera_subset = (0, 1, 2, 3)  # view 0 is the canonical frame; order kept

stage1 = dict(
    type='MultiViewMetaPoseS1Solver',
    opt_steps=100,
    report_n_results=50,
    learning_rate=1e-2,
    init_with_view0=True,
    proper_init=True,
    report_mode='current')
# per-view monocular 3D of any lifter, camera frame (see docs/multiview_metapose.md)
mono3d = dict(mono3d_source='file', mono3d_file='mono3d_h36m_cam.npz')

model = dict(
    type='MultiViewMetaPoseLifter',
    num_stages=1,
    num_views=num_views,
    stage_model=dict(
        type='EquivariantStageModel',
        main_mlp_spec='512,512,ccat,512,512,ccat,512',
        pose_emb_size=512,
        pose_mlp_sizes=(256, 128)),
    loss_weights=dict(fwd=1.0, logp=0.0, x_opt=0.0, bone=0.0),
    float64=True)

pipeline = [dict(type='PackMultiViewMetaPoseInputs')]
dataset = dict(
    type='H36MMultiViewDataset',
    data_root={{_base_.videopose3d_data_root}},
    ann_file={{_base_.videopose3d_ann_file}},
    keypoint_2d_file={{_base_.videopose3d_keypoint_2d_file}},
    camera_subset=camera_subset,
    stage1=stage1,
    pipeline=pipeline,
    **mono3d)
train_dataloader = dict(
    batch_size=128,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(subjects=_base_.videopose3d_train_subjects, **dataset))
val_dataloader = dict(
    batch_size=128,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(subjects=_base_.videopose3d_val_subjects, test_mode=True, **dataset))
test_dataloader = dict(
    batch_size=128,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(subjects={{_base_.videopose3d_test_subjects}}, test_mode=True, **dataset))

optim_wrapper = dict(optimizer=dict(type='Adam', lr=1e-4))
train_cfg = dict(by_epoch=True, max_epochs=3000, val_interval=1)
val_cfg = dict()
test_cfg = dict()
val_evaluator = dict(type='MultiViewMetaPoseMetric')
test_evaluator = val_evaluator
default_hooks = dict(
    logger=dict(interval=20),
    checkpoint=dict(save_best='multiview/objective', rule='less', interval=50))
custom_hooks = [
    dict(type='EarlyStoppingHook', monitor='multiview/objective', rule='less', patience=500)
]
