# A tiny MotionBERT (27 frames, 1 block of width 32) on the synthetic sample
# shipped in data/h36m_videopose3d_sample, one epoch on a CPU: proof that
# the MotionBERT recipe runs on H36MSequenceDataset; the numbers mean nothing.
_base_ = [
    './motionbert_dstformer-243frm-cpn-ft_8xb32-240e_h36m-videopose3d.py'
]

seq_len = 27
model = dict(
    backbone=dict(
        feat_size=32, depth=1, num_heads=2, seq_len=seq_len),
    head=dict(in_channels=32, embedding_size=32))
train_cfg = dict(max_epochs=1, val_interval=1)
param_scheduler = [dict(type='ExponentialLR', gamma=0.99, end=1, by_epoch=True)]
auto_scale_lr = dict(base_batch_size=8)
default_hooks = dict(logger=dict(interval=4))
sample = dict(data_root={{_base_.videopose3d_sample_root}}, seq_len=seq_len)
loader = dict(
    batch_size=8,
    num_workers=0,
    persistent_workers=False,
    prefetch_factor=None,
    pin_memory=False)
train_dataloader = dict(
    **loader, dataset=dict(**sample, subjects=_base_.videopose3d_sample_train_subjects))
val_dataloader = dict(
    **loader, dataset=dict(**sample, subjects=_base_.videopose3d_sample_val_subjects))
test_dataloader = dict(**loader, dataset=dict(**sample, subjects=_base_.videopose3d_test_subjects))
