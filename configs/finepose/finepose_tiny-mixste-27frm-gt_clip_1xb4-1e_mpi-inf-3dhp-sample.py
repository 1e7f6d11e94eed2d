# The tiny FinePOSE of _base_/models/finepose_tiny.py on MPI-INF-3DHP, on
# the synthetic sample in data/mpi_inf_3dhp_sample, one epoch on a
# CPU: proof that the 3DHP recipe trains and tests (the MATLAB-exact metric,
# predictions in FinePOSE's .mat layout); the numbers mean nothing.
# Train S1 Seq1, validate S2 Seq1, test TS1-TS6 with the activity labels.
_base_ = [
    './finepose_mixste-243frm-gt_clip-b32_1xb4-100e_mpi-inf-3dhp.py',
    '../_base_/models/finepose_tiny.py'
]

seq_len = _base_.finepose_tiny_seq_len
model = _base_.finepose_tiny_model

sample = dict(data_root={{_base_.mpi_inf_3dhp_sample_root}}, seq_len=seq_len)
loader = dict(num_workers=0, persistent_workers=False)
train_dataloader = dict(
    loader, dataset=dict(sample, sequences=['S1 Seq1']))
val_dataloader = dict(loader, dataset=dict(sample, sequences=['S2 Seq1']))
test_dataloader = dict(loader, dataset=dict(sample, annot_root='.'))
train_cfg = dict(max_epochs=1, val_interval=1)
param_scheduler = [
    dict(type='ExponentialLR', gamma=0.993, end=1, by_epoch=True)
]
default_hooks = dict(logger=dict(interval=4))
