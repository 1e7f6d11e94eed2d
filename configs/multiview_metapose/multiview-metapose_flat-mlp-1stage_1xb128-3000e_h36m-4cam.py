# Ablation S1+S2/MLP of the reference README: a plain MLP over the whole
# stage input instead of the view-equivariant one (reference flags
# --use_equivariant_model=false --model_mlp_sizes=512,512,512,128).
_base_ = ['./multiview-metapose_ccat-mlp-1stage_1xb128-3000e_h36m-4cam.py']

model = dict(
    stage_model=dict(_delete_=True, type='FlatStageModel', mlp_sizes=(512, 512, 512, 128)))
