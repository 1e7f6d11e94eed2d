# MPM's 16-joint Human3.6M pretraining (paper v1 geometry) as the reference
# computes it: its data generator drops joint 9 (neck/nose), here the
# SelectJoints transform at the head of both pipelines; everything else as
# mpm-pretrain-ref. For the reference's 16-joint checkpoints. Not reproduced:
# the PoseAug generator (three unshipped checkpoints) and with it the lifting
# task of the 16-joint pretraining (SPEC_MPM section 2).
_base_ = ['./mpm-pretrain-ref_c256-l4-243frm-tds2-cpn_1xb512-50e_h36m-videopose3d.py']

num_keypoints = 16
select_joints = dict(type='SelectJoints',
                     joint_indices=[0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 11, 12, 13, 14, 15, 16])
codec = dict(type='VideoPoseLifting', num_keypoints=num_keypoints, zero_center=True,
             root_index=0, remove_root=False, reshape_keypoints=False, normalize_camera=True)

mask_cfg = dict(type='GenerateMPMMasks', mode='random', num_masked_joints=5,
                frame_mask_ratio=0.6)

model = dict(backbone=dict(num_keypoints=num_keypoints), head=dict(num_keypoints=num_keypoints))
train_pipeline = [
    select_joints,
    dict(type='RandomFlipPoseSequence', flip_prob=0.5),
    dict(type='SetWindowLiftingTarget'),
    dict(type='GenerateTarget', encoder=codec),
    mask_cfg,
    dict(type='PackPoseInputs', meta_keys={{_base_.meta_keys}}),
]
val_pipeline = [
    select_joints,
    dict(type='SetWindowLiftingTarget'),
    dict(type='GenerateTarget', encoder=codec),
    dict(mask_cfg, seed=0),
    dict(type='PackPoseInputs', meta_keys={{_base_.meta_keys}}),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=val_pipeline))
test_dataloader = val_dataloader
