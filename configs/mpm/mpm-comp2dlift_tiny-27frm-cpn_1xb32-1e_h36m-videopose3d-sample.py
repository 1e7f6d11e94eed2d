# 2D -> 3D completion at toy size on the shipped synthetic sample (1 epoch,
# C 32); for tests. The numbers mean nothing.
_base_ = ['./mpm-comp2dlift_c256-l3-27frm-cpn_1xb2048-50e_h36m-videopose3d.py']

geometry = dict(num_keypoints=17, num_frames=27, embed_dims=32, hidden_dims=48)
model = dict(backbone=dict(num_layers=1, num_heads=4, **geometry),
             head=dict(num_layers=1, num_heads=4, **geometry))
sample = dict(data_root={{_base_.videopose3d_sample_root}})
train_dataloader = dict(batch_size=32, num_workers=0, persistent_workers=False,
                        dataset=dict(sample, subjects=_base_.videopose3d_sample_train_subjects))
val_dataloader = dict(batch_size=64, num_workers=0, persistent_workers=False,
                      dataset=dict(sample, subjects=_base_.videopose3d_sample_val_subjects))
test_dataloader = dict(val_dataloader,
                       dataset=dict(sample, subjects=_base_.videopose3d_test_subjects))
train_cfg = dict(max_epochs=1, val_interval=1)
auto_scale_lr = dict(base_batch_size=32)
default_hooks = dict(logger=dict(interval=8))
