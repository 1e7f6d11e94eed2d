# MetaPose with HRNet-W48 and the CLIP ViT-L/14 text tower.
_base_ = ['./metapose_hrnet-w32-cpn_clip-l14_1xb400-60e_h36m-256x192.py']

model = {{_base_.hrnet_w48}}
