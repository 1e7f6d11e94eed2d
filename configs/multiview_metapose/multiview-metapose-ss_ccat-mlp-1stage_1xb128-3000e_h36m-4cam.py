# Ablation S1+S2/SS of the reference README (self-supervised): stage 2 trains
# on the stage-1 objective of its own solution instead of the 2D reprojection
# error (reference flags --lambda_fwd_loss=0 --lambda_logp_loss=1).
_base_ = ['./multiview-metapose_ccat-mlp-1stage_1xb128-3000e_h36m-4cam.py']

model = dict(loss_weights=dict(fwd=0.0, logp=1.0))
