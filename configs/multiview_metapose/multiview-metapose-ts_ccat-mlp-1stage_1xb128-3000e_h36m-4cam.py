# Ablation S1+S2/TS of the reference README (teacher-student): stage 2 learns
# to reproduce the stage-1 solution (reference flags --lambda_fwd_loss=0
# --lambda_xopt_loss=1).
_base_ = ['./multiview-metapose_ccat-mlp-1stage_1xb128-3000e_h36m-4cam.py']

model = dict(loss_weights=dict(fwd=0.0, x_opt=1.0))
