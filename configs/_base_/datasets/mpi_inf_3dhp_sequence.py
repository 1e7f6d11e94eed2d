# MPI-INF-3DHP sequences in P-STMO's npz layout (MPIINF3DHPSequenceDataset,
# docs/mpi_inf_3dhp.md) and the MATLAB-exact evaluator, as variables that
# method configs combine with a recipe:
#   _base_ = ['<recipe>.py', '../_base_/datasets/mpi_inf_3dhp_sequence.py']
# (the names avoid MMPose's `data_root` / `dataset_type` / dataloaders: bases
# may not share keys). Joints in the 3DHP order, root 14; 2D in pixels,
# normalised per sequence by the codec with camera_param = dict(w, h).
# No `custom_imports` here: the method config that inherits this file sets
# it (it is usually inherited from the method's Human3.6M config too, and
# bases may not share keys).

# data_train_3dhp.npz / data_test_3dhp.npz hold univ_annot3 (P-STMO, CA-PF,
# MPM); FinePOSE's data_{train,test}_3dhp_ori.npz hold annot3. The test
# set's TS<k>/annot_data.mat (for the activity-wise table; MATLAB v7.3, read
# with h5py) go in `mpi_inf_3dhp_annot_root` (None: only the All row).
mpi_inf_3dhp_data_root = 'data/mpi_inf_3dhp/'
mpi_inf_3dhp_train_file = 'data_train_3dhp.npz'
mpi_inf_3dhp_test_file = 'data_test_3dhp.npz'
mpi_inf_3dhp_annot_root = None
mpi_inf_3dhp_root_index = 14

# the synthetic sample shipped in data/mpi_inf_3dhp_sample (both skeletons
# and TS<k>/annot_data.mat), resolved from this file so that configs using
# it run from any working directory
mpi_inf_3dhp_sample_root = \
    '{{ fileDirname }}/../../../data/mpi_inf_3dhp_sample/'

# what MPIINF3DHPMetric reads, on top of MMPose's lifting meta keys
mpi_inf_3dhp_meta_keys = ('id', 'category_id', 'flip_indices', 'target_root',
                          'sequence', 'camera_id', 'target_frame_ids',
                          'target_pad_mask', 'target_valid',
                          'target_activity', 'sequence_num_frames',
                          'skeleton')

# P-STMO's flip on the codec's output: x -> -x of the normalised 2D
# (u / w * 2 - 1, i.e. u -> w - u) and of the root-relative 3D, left and
# right swapped with the dataset's flip_indices. (RandomFlipPoseSequence
# needs a full camera; P-STMO's npz has only the image size.)
mpi_inf_3dhp_flip = dict(
    type='RandomFlipAroundRoot',
    keypoints_flip_cfg=dict(center_mode='static', center_x=0.),
    target_flip_cfg=dict(center_mode='static', center_x=0.),
    flip_label=True)

# PCK / AUC / MPJPE of the official scripts (headline keys PCK, AUC, MPJPE:
# the pooled All row; see the metric for the other aggregates); `skeleton`
# tags the tables with what the npz holds
mpi_inf_3dhp_evaluator = dict(type='MPIINF3DHPMetric', skeleton='univ_annot3')
