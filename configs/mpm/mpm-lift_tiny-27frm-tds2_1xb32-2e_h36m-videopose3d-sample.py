# The fine-tuned MPM lifter at toy size on the shipped synthetic sample,
# starting from the encoder of the toy pretraining run (`pretrain_config`,
# its epoch_2.pth; or --cfg-options model.backbone.init_cfg.checkpoint=PATH).
# The numbers mean nothing.
_base_ = ['./mpm-lift_c256-l4-243frm-tds2-cpn_1xb256-50e_h36m-videopose3d.py']

geometry = dict(num_keypoints=17, num_frames=27, embed_dims=32, hidden_dims=48)
pretrain_config = ('{{ fileDirname }}/'
                   'mpm-pretrain_tiny-27frm-tds2_1xb32-2e_h36m-videopose3d-sample.py')
pretrain_checkpoint = 'epoch_2.pth'
model = dict(
    backbone=dict(num_layers=1, num_heads=4,
                  init_cfg=dict(config=pretrain_config, checkpoint=pretrain_checkpoint),
                  **geometry),
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
