# Row GT+IR of the reference README: stage 1 starts from a perfect monocular
# estimate per view (the weak projection of the ground truth) instead of a
# lifter's (reference launch_iterative_solver --fake_gt_init=true). Uses 3D.
_base_ = ['./multiview-metapose_ccat-mlp-1stage_1xb128-3000e_h36m-4cam.py']

gt_init = dict(dataset=dict(mono3d_source='gt_weak_projection', mono3d_file=None))
train_dataloader = gt_init
val_dataloader = gt_init
test_dataloader = gt_init
