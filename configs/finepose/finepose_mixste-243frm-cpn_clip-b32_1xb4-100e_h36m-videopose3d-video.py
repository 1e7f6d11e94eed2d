# FinePOSE for video through MMPose's MMPoseInferencer / Pose3DInferencer:
# the inferencer cuts a 243-frame window of tracked 2D around every frame
# (seq_len of the test dataset) and keeps the lifter's centre frame. Default
# behaviour: action-agnostic prompts, P-Agg (no camera, no ground truth),
# per-sample noise seeded from the 2D input.
#   MMPoseInferencer(pose2d='human', pose3d=THIS_CONFIG, pose3d_weights=CKPT)
_base_ = ['./finepose_mixste-243frm-cpn_clip-b32_1xb4-100e_h36m-videopose3d.py']

model = dict(test_cfg=dict(output_frames='centre'))
