# 3 cameras: the reference does not publish its 3-camera subset; cameras
# 0, 1, 2 (view 0 canonical).
_base_ = ['./multiview-metapose_ccat-mlp-1stage_1xb128-3000e_h36m-4cam.py']

camera_subset = (0, 1, 2)
model = dict(num_views=3)
train_dataloader = dict(dataset=dict(camera_subset=camera_subset))
val_dataloader = dict(dataset=dict(camera_subset=camera_subset))
test_dataloader = dict(dataset=dict(camera_subset=camera_subset))
