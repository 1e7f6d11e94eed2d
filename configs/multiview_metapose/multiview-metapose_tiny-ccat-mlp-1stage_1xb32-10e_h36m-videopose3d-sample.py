# Tiny multi-view MetaPose on the synthetic sample shipped in
# data/h36m_videopose3d_sample (4 cameras, real calibration): stage 1 with
# 100 steps on every frame, a narrow equivariant stage, 10 epochs, loaded in
# the main process. Monocular 3D: the `oracle_noisy_gt` oracle stand-in (ground
# truth with depth scaling and 5 cm noise), since the sample has no lifter
# outputs. For tests and the README's first command; the numbers mean nothing.
_base_ = ['./multiview-metapose_ccat-mlp-1stage_1xb128-3000e_h36m-4cam.py']

sample_root = {{_base_.videopose3d_sample_root}}
model = dict(
    stage_model=dict(main_mlp_spec='32,32,ccat,32', pose_emb_size=32, pose_mlp_sizes=(32, )))
sample = dict(data_root=sample_root, mono3d_source='oracle_noisy_gt', mono3d_file=None)
train_dataloader = dict(
    batch_size=32,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(subjects=_base_.videopose3d_sample_train_subjects, **sample))
val_dataloader = dict(
    batch_size=32,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(subjects=_base_.videopose3d_sample_val_subjects, **sample))
test_dataloader = dict(
    batch_size=32,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(subjects=_base_.videopose3d_test_subjects, **sample))
optim_wrapper = dict(optimizer=dict(lr=1e-3))
train_cfg = dict(max_epochs=10, val_interval=1)
default_hooks = dict(logger=dict(interval=1), checkpoint=dict(interval=1))
custom_hooks = []
