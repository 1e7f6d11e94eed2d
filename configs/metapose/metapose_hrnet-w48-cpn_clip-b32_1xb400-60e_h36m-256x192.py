# MetaPose with a frozen COCO HRNet-W48 (levels 48/96/192/384 channels).
_base_ = ['./metapose_hrnet-w32-cpn_clip-b32_1xb400-60e_h36m-256x192.py']

model = {{_base_.hrnet_w48}}
