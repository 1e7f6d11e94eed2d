# MPM pretraining at toy size on the synthetic sample shipped in
# data/h36m_videopose3d_sample (C 32, D 48, 1 layer, 27 frames every 2nd
# frame, 2 epochs, data in the main process): runs on a CPU in well under a
# minute; for tests and the README's pretrain -> fine-tune -> test example.
# The numbers mean nothing.
_base_ = ['./mpm-pretrain_c256-l4-243frm-tds2-cpn_1xb512-50e_h36m-videopose3d.py']

geometry = dict(num_keypoints=17, num_frames=27, embed_dims=32, hidden_dims=48)
model = dict(backbone=dict(num_layers=1, num_heads=4, **geometry),
             head=dict(num_heads=4, **geometry))
sample = dict(data_root={{_base_.videopose3d_sample_root}}, seq_len=27)
train_dataloader = dict(batch_size=32, num_workers=0, persistent_workers=False,
                        dataset=dict(sample, subjects=_base_.videopose3d_sample_train_subjects))
val_dataloader = dict(batch_size=64, num_workers=0, persistent_workers=False,
                      dataset=dict(sample, subjects=_base_.videopose3d_sample_val_subjects))
test_dataloader = dict(val_dataloader,
                       dataset=dict(sample, subjects=_base_.videopose3d_test_subjects))
train_cfg = dict(max_epochs=2, val_interval=2)
auto_scale_lr = dict(base_batch_size=32)
default_hooks = dict(logger=dict(interval=8))
