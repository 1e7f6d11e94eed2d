# Reference behaviour with 3 cameras (see the 4-camera -ref config).
_base_ = ['./multiview-metapose-ref_ccat-mlp-1stage_1xb128-3000e_h36m-4cam.py']

camera_subset = (0, 1, 2)
model = dict(num_views=3)
train_dataloader = dict(dataset=dict(camera_subset=camera_subset))
val_dataloader = dict(dataset=dict(camera_subset=camera_subset))
test_dataloader = dict(dataset=dict(camera_subset=camera_subset))
