# comp3d as the reference computes it: the loss averages every frame and joint
# (masked or given), the flip test keeps the unmirrored joint masks, and the
# metric averages every joint (for 3D the composite, ground truth where
# visible, so the error of the completed joints is diluted by K / masked).
_base_ = ['./mpm-comp3d_c256-l3-27frm_1xb2048-50e_h36m-videopose3d.py']

model = dict(backbone=dict(encode_masked_frames=True), loss_on_masked=False,
             test_cfg=dict(flip_masks=False))
val_evaluator = dict(masked_only=False)
test_evaluator = val_evaluator
