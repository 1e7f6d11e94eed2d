# MMPose's MotionBERT (243 frames, trained from scratch) on Human3.6M read
# from VideoPose3D's npz files (CPN 2D) by H36MSequenceDataset. Changed from
# MMPose's recipe: the dataset (train: non-overlapping 'chunks' on
# VideoPose3D's grid instead of 243-frame windows every 81 frames; test:
# 'test_chunks', which also covers the last frames of a video that MMPose's
# `multiple_target` drops) and the evaluator (per-action P1/P2, each test
# frame once). MotionBERTLabel replaces `lifting_target` at test time by its
# own root-relative image-plane estimate (MMPose's behaviour, kept).
_base_ = [
    'mmpose::body_3d_keypoint/motionbert/h36m/'
    'motionbert_dstformer-243frm_8xb32-240e_h36m.py',
    '../_base_/datasets/h36m_videopose3d.py'
]
custom_imports = dict(imports=['metapose_plugin'], allow_failed_imports=False)

train_codec = {{_base_.train_codec}}
val_codec = {{_base_.val_codec}}
seq_len = 243
# the sequence metric's keys (_base_/datasets/h36m_videopose3d.py) and the
# ones MotionBERT's head decodes with
meta_keys = ('id', 'category_id', 'target_img_path', 'flip_indices',
             'subject', 'action', 'subaction', 'camera_id', 'target_frame_ids',
             'target_pad_mask', 'factor', 'camera_param')

train_pipeline = [
    dict(type='GenerateTarget', encoder=train_codec),
    dict(
        type='RandomFlipAroundRoot',
        keypoints_flip_cfg=dict(center_mode='static', center_x=0.),
        target_flip_cfg=dict(center_mode='static', center_x=0.),
        flip_label=True),
    dict(type='PackPoseInputs', meta_keys=meta_keys),
]
val_pipeline = [
    dict(type='GenerateTarget', encoder=val_codec),
    dict(type='PackPoseInputs', meta_keys=meta_keys),
]

dataset = dict(_base_.videopose3d_dataset, _delete_=True, seq_len=seq_len)
train_dataloader = dict(
    dataset=dict(
        dataset,
        subjects=_base_.videopose3d_train_subjects,
        sample_mode='chunks',
        pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(
        dataset,
        subjects=_base_.videopose3d_val_subjects,
        sample_mode='test_chunks',
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
