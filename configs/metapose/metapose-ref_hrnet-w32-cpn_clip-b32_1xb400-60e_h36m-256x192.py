# MetaPose reference behaviour (see configs/_base_/models/metapose_variants.py)
# with HRNet-W32 and CLIP ViT-B/32.
_base_ = ['./metapose_hrnet-w32-cpn_clip-b32_1xb400-60e_h36m-256x192.py']

model = {{_base_.metapose_ref}}
