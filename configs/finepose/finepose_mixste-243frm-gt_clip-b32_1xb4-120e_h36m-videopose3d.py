# FinePOSE on ground-truth 2D (data_2d_h36m_gt.npz), 120 epochs as the
# reference's main_gt.py; otherwise the CPN config.
_base_ = ['./finepose_mixste-243frm-cpn_clip-b32_1xb4-100e_h36m-videopose3d.py']

dataset = dict(keypoint_2d_file='data_2d_h36m_gt.npz')
train_dataloader = dict(dataset=dataset)
val_dataloader = dict(dataset=dataset)
test_dataloader = dict(dataset=dataset)
train_cfg = dict(max_epochs=120)
param_scheduler = [dict(type='ExponentialLR', gamma=0.993, end=120, by_epoch=True)]
