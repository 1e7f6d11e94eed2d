# CA-PF with a frozen COCO HRNet-W48 image encoder (widths 48/96/192/384).
_base_ = ['./capf_hrnet-w32-cpn_1xb512-60e_h36m-256x192.py']

model = {{_base_.hrnet_w48}}
