# FinePOSE lifting one centred 243-frame window per frame and keeping its
# centre (sequence-to-frame), the base config's model and weights otherwise.
# For video, the base config is the one to use: MetaPose3DInferencer lifts
# each frame of a track in exactly one window there (1/243 of the windows).
# With this config it lifts every frame in its own window, with the track's
# real future (F times the cost; the centre of a window has context on both
# sides). The 'per_frame' test windows tell the inferencer so; evaluate with
# the base config (the multi-hypothesis metric scores whole windows).
# MMPose's MMPoseInferencer / Pose3DInferencer accept it but lift online:
# the 121 future frames of each window are copies of the current frame, which
# FinePOSELifter logs once; use projects/metapose/demo/inferencer_demo.py.
_base_ = ['./finepose_mixste-243frm-cpn_clip-b32_1xb4-100e_h36m-videopose3d.py']

model = dict(test_cfg=dict(output_frames='centre'))
val_dataloader = dict(dataset=dict(sample_mode='per_frame'))
test_dataloader = dict(dataset=dict(sample_mode='per_frame'))
