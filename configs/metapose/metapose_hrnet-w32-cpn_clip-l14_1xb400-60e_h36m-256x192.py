# MetaPose with the CLIP ViT-L/14 text tower (768 text channels).
_base_ = ['./metapose_hrnet-w32-cpn_clip-b32_1xb400-60e_h36m-256x192.py']

model = {{_base_.clip_l14}}
