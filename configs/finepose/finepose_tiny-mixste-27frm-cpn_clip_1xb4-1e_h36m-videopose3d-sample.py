# The tiny FinePOSE of _base_/models/finepose_tiny.py on the
# synthetic sample in data/h36m_videopose3d_sample, one epoch on a CPU: proof
# that the recipe trains and tests through tools/train.py and tools/test.py;
# the numbers mean nothing. Validation on S5 (the sample's second training
# subject), test on S9/S11.
_base_ = [
    './finepose_mixste-243frm-cpn_clip-b32_1xb4-100e_h36m-videopose3d.py',
    '../_base_/models/finepose_tiny.py'
]

seq_len = _base_.finepose_tiny_seq_len
model = _base_.finepose_tiny_model

sample = dict(data_root={{_base_.videopose3d_sample_root}}, seq_len=seq_len)
loader = dict(num_workers=0, persistent_workers=False, dataset=sample)
train_dataloader = dict(
    loader, dataset=dict(sample, subjects=_base_.videopose3d_sample_train_subjects))
val_dataloader = dict(loader, dataset=dict(sample, subjects=_base_.videopose3d_sample_val_subjects))
test_dataloader = dict(loader, dataset=dict(sample))
train_cfg = dict(max_epochs=1, val_interval=1)
param_scheduler = [dict(type='ExponentialLR', gamma=0.993, end=1, by_epoch=True)]
default_hooks = dict(logger=dict(interval=4))
