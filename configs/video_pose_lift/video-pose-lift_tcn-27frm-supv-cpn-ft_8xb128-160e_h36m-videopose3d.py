# MMPose's VideoPose3D (27 frames, supervised) on Human3.6M read from
# VideoPose3D's npz files (CPN 2D) by H36MSequenceDataset. Everything else is
# MMPose's recipe; changed: the dataset, the evaluator (per-action P1/P2,
# each test frame once) and the train flip (MMPose's RandomFlipAroundRoot
# mirrors pixel 2D about x = 0.5 px; RandomFlipPoseSequence mirrors 2D, 3D
# and the camera consistently).
_base_ = [
    'mmpose::body_3d_keypoint/video_pose_lift/h36m/'
    'video-pose-lift_tcn-27frm-supv_8xb128-160e_h36m.py',
    '../_base_/datasets/h36m_videopose3d.py'
]
custom_imports = dict(imports=['metapose_plugin'], allow_failed_imports=False)

codec = {{_base_.codec}}
seq_len = 27

train_pipeline = [
    dict(type='RandomFlipPoseSequence', flip_prob=0.5),
    dict(type='GenerateTarget', encoder=codec),
    dict(type='PackPoseInputs', meta_keys={{_base_.sequence_meta_keys}}),
]
val_pipeline = [
    dict(type='GenerateTarget', encoder=codec),
    dict(type='PackPoseInputs', meta_keys={{_base_.sequence_meta_keys}}),
]

dataset = dict(_base_.videopose3d_dataset, _delete_=True, seq_len=seq_len)
train_dataloader = dict(
    dataset=dict(
        dataset,
        subjects=_base_.videopose3d_train_subjects,
        sample_mode='per_frame',
        pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(
        dataset,
        subjects=_base_.videopose3d_val_subjects,
        sample_mode='per_frame',
        test_mode=True,
        pipeline=val_pipeline))
test_dataloader = dict(
    val_dataloader,
    dataset=dict(val_dataloader['dataset'], subjects=_base_.videopose3d_test_subjects))

val_evaluator = dict(_delete_=True, type='H36MSequenceMetric')
test_evaluator = val_evaluator
# the plugin's runtime (configs/_base_/default_runtime.py: crash-safe
# checkpoints, checked loading); MMEngine refuses it as a second base beside
# MMPose's recipe, so its three keys are set here
runner_type = 'StrictLoadRunner'
load_from_partial = False
default_hooks = dict(checkpoint=dict(type='AtomicCheckpointHook', save_best='P1', rule='less'))
