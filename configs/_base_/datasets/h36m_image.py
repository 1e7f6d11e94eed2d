# Human3.6M person crops for image-based lifters (CA-PF, MetaPose): dataset,
# pipelines, dataloaders and evaluator. Model configs inherit this file with
# `_base_`; to change the 2D source or batch size, override the dataloader
# fields (e.g. `train_dataloader = dict(dataset=dict(keypoint_2d_src="gt"))`):
# top-level variables of a base file are not re-read by children.
custom_imports = dict(imports=['metapose_plugin'], allow_failed_imports=False)

dataset_type = 'H36MImageDataset'
data_root = 'data/h36m/'
input_size = (192, 256)  # crop (w, h), pixels
keypoint_2d_src = 'cpn'  # 'gt' | 'cpn' | 'hrnet'

meta_keys = ('id', 'img_path', 'subject', 'action', 'subaction', 'camera_id',
             'frame_id', 'frame_size', 'flip', 'flip_direction',
             'flip_indices', 'input_size', 'img_shape', 'ori_shape', 'center',
             'scale')

# Training decodes JPEGs at a reduced DCT scale where the crop allows (1.4x
# more frames/s, pixels within about 1 grey level, docs/benchmarks.md);
# evaluation decodes in full, so test numbers are the reference's.
train_pipeline = [
    dict(type='LoadPersonCrop', input_size=input_size, reduced_decode=True),
    dict(type='RandomFlipImageLifting', prob=0.5),
    dict(type='PackPoseInputs', meta_keys=meta_keys),
]
test_pipeline = [
    dict(type='LoadPersonCrop', input_size=input_size),
    dict(type='PackPoseInputs', meta_keys=meta_keys),
]

# Split: h36m_train.pkl holds S1 S5 S6 S7 S8; S8 is held out of training for
# validation (model selection), so that no config selects on the test
# error; h36m_validation.pkl (S9 S11) is the test set only. (Both papers
# trained on S1-S8 and selected on S9/S11; to do that, drop `subjects` and
# validate on h36m_validation.pkl knowingly.)
train_dataloader = dict(
    batch_size=64,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='h36m_train.pkl',
        subjects=['S1', 'S5', 'S6', 'S7'],
        keypoint_2d_src=keypoint_2d_src,
        data_prefix=dict(img='images/'),
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=64,
    num_workers=8,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False, round_up=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='h36m_train.pkl',
        subjects=['S8'],
        keypoint_2d_src=keypoint_2d_src,
        data_prefix=dict(img='images/'),
        test_mode=True,
        pipeline=test_pipeline))
test_dataloader = dict(
    val_dataloader, dataset=dict(val_dataloader['dataset'], ann_file='h36m_validation.pkl',
                                 subjects=None))

# The 4-frame sample shipped in data/h36m_sample (MMPose npz layout), used by
# the tiny configs: `dataset={{_base_.h36m_sample}}`. The path is resolved from
# this file, so the tiny configs run from any working directory.
# the sample has S1 S5 S7 S8 (no test subject); every loader reads all 4 frames
h36m_sample = dict(
    subjects=None,
    data_root='{{ fileDirname }}/../../../data/h36m_sample/',
    ann_file='test_h36m_body3d.npz',
    camera_param_file='cameras.pkl',
    keypoint_2d_det_file='test_h36m_2d_detection.npy',
    data_prefix=dict(img=''))

val_evaluator = dict(type='H36MMetric')
test_evaluator = val_evaluator
