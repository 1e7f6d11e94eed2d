# MetaPose with a frozen COCO HRNet-W48 (levels 48/96/192/384 channels).
_base_ = ['./metapose_hrnet-w32-cpn_clip-b32_1xb400-60e_h36m-256x192.py']

hrnet_ckpt = ('https://download.openmmlab.com/mmpose/top_down/hrnet/'
              'hrnet_w48_coco_256x192-b9e0b3ab_20200708.pth')

model = dict(
    backbone=dict(
        extra=dict(
            stage2=dict(num_channels=(48, 96)),
            stage3=dict(num_channels=(48, 96, 192)),
            stage4=dict(num_channels=(48, 96, 192, 384))),
        init_cfg=dict(checkpoint=hrnet_ckpt)),
    neck=dict(feat_channels=(48, 96, 192, 384)))
