# Human3.6M 2D/3D sequences in VideoPose3D's layout (H36MSequenceDataset):
# files, split and the metainfo the sequence metric needs, as variables that
# method configs combine with MMPose's recipes:
#   _base_ = ['mmpose::<recipe>.py', '../_base_/datasets/h36m_videopose3d.py']
# (the names avoid MMPose's `data_root` / `dataset_type`: bases may not share
# keys).
custom_imports = dict(imports=['metapose_plugin'], allow_failed_imports=False)

# data_3d_h36m.npz and data_2d_h36m_<src>.npz as VideoPose3D distributes them;
# 2D: data_2d_h36m_cpn_ft_h36m_dbb.npz (CPN), data_2d_h36m_gt.npz, ...
videopose3d_data_root = 'data/h36m_videopose3d/'
videopose3d_ann_file = 'data_3d_h36m.npz'
videopose3d_keypoint_2d_file = 'data_2d_h36m_cpn_ft_h36m_dbb.npz'
# The split of every method: S9 and S11 are the test set only; S8 is held out
# of training for validation (model selection, early stopping), so that no
# config selects on the test error. (The papers train on S1-S8 and select on
# S9/S11; to train on S8 too, add it to the train subjects and validate on
# the test subjects knowingly.)
videopose3d_train_subjects = ['S1', 'S5', 'S6', 'S7']
videopose3d_val_subjects = ['S8']
videopose3d_test_subjects = ['S9', 'S11']

# templates a method config specialises with `dict(_base_.<name>, key=...)`
# (MMEngine resolves `_base_.<name>` inside expressions)
videopose3d_dataset = dict(
    type='H36MSequenceDataset',
    data_root=videopose3d_data_root,
    ann_file=videopose3d_ann_file,
    keypoint_2d_file=videopose3d_keypoint_2d_file)
sequence_train_loader = dict(
    num_workers=2, persistent_workers=True, sampler=dict(type='DefaultSampler', shuffle=True))
sequence_test_loader = dict(
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False, round_up=False))

# The synthetic sample shipped in data/h36m_videopose3d_sample (same layout
# and file names, real calibration; subjects S1 S5 S9 S11), resolved from
# this file so that configs using it run from any working directory. Its
# split: train S1, validate on S5, test on S9 S11 (videopose3d_test_subjects).
videopose3d_sample_root = \
    '{{ fileDirname }}/../../../data/h36m_videopose3d_sample/'
videopose3d_sample_train_subjects = ['S1']
videopose3d_sample_val_subjects = ['S5']

# what H36MSequenceMetric reads, on top of MMPose's lifting meta keys
sequence_meta_keys = ('id', 'category_id', 'target_img_path', 'flip_indices',
                      'target_root', 'subject', 'action', 'subaction',
                      'camera_id', 'target_frame_ids', 'target_pad_mask')
