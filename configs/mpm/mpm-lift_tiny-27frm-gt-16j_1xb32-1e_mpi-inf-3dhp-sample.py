# The MPM 16-joint 3DHP lifter at toy size on the synthetic sample in
# data/mpi_inf_3dhp_sample, from a randomly initialised encoder (no
# pretraining run needed), one epoch on a CPU: proof that the 3DHP recipe
# trains and tests; the numbers mean nothing. Train S1 Seq1, validate
# S2 Seq1, test TS1-TS6 with the activity labels.
_base_ = ['./mpm-lift_c256-l4-243frm-gt-16j_1xb256-50e_mpi-inf-3dhp.py']

geometry = dict(num_keypoints=16, num_frames=27, embed_dims=32, hidden_dims=48)
model = dict(
    backbone=dict(num_layers=1, num_heads=4, init_cfg=None, **geometry),
    head=dict(num_heads=4, **geometry))
sample = dict(data_root={{_base_.mpi_inf_3dhp_sample_root}}, seq_len=27)
loader = dict(num_workers=0, persistent_workers=False)
train_dataloader = dict(
    loader, batch_size=32, dataset=dict(sample, sequences=['S1 Seq1']))
val_dataloader = dict(
    loader, batch_size=64, dataset=dict(sample, sequences=['S2 Seq1']))
test_dataloader = dict(
    loader, batch_size=64, dataset=dict(sample, annot_root='.'))
train_cfg = dict(max_epochs=1, val_interval=1)
auto_scale_lr = dict(base_batch_size=32)
default_hooks = dict(logger=dict(interval=8))
