# MetaPose reference behaviour (see configs/_base_/models/metapose_variants.py)
# with HRNet-W48 and CLIP ViT-L/14.
_base_ = ['./metapose_hrnet-w48-cpn_clip-l14_1xb400-60e_h36m-256x192.py']

model = {{_base_.metapose_ref}}
