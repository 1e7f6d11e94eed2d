# Ablation of the reference README "drop some inputs to the equivariant MLP":
# every view's row keeps only the projections and the objective (reference
# flag --debug_drop_mlp_inputs=pose,cams,heatmaps).
_base_ = ['./multiview-metapose_ccat-mlp-1stage_1xb128-3000e_h36m-4cam.py']

model = dict(stage_model=dict(drop_inputs=('pose', 'cams', 'heatmaps')))
