# The VideoPose3D config on the synthetic sample shipped in
# data/h36m_videopose3d_sample: 3 epochs, batch 64, data loaded in the main
# process; trains on a CPU in well under a minute. For tests, the README's
# first command and dist_train.sh smoke runs; the numbers mean nothing.
_base_ = [
    './video-pose-lift_tcn-27frm-supv-cpn-ft_8xb128-160e_h36m-videopose3d.py'
]

sample = dict(data_root={{_base_.videopose3d_sample_root}})
train_cfg = dict(max_epochs=3, val_interval=3)
param_scheduler = [dict(type='ExponentialLR', gamma=0.975, end=3, by_epoch=True)]
auto_scale_lr = dict(base_batch_size=64)
default_hooks = dict(logger=dict(interval=4))
train_dataloader = dict(
    batch_size=64,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(sample, subjects=_base_.videopose3d_sample_train_subjects))
val_dataloader = dict(
    batch_size=64, num_workers=0, persistent_workers=False,
    dataset=dict(sample, subjects=_base_.videopose3d_sample_val_subjects))
test_dataloader = dict(val_dataloader,
                       dataset=dict(sample, subjects=_base_.videopose3d_test_subjects))
