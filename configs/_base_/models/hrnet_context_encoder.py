# HRNet image-encoder variants shared by the CA-PF and MetaPose configs. The
# W32 recipe is written out in configs/capf/capf_hrnet-w32-*.py; a variant is
# a `model` override (backbone + the channels of its four context levels for
# the neck), used as `model = {{_base_.hrnet_w48}}`.

# COCO top-down HRNet-W48, 256x192 (widths 48/96/192/384)
hrnet_w48 = dict(
    backbone=dict(
        extra=dict(
            stage2=dict(num_channels=(48, 96)),
            stage3=dict(num_channels=(48, 96, 192)),
            stage4=dict(num_channels=(48, 96, 192, 384))),
        init_cfg=dict(checkpoint='https://download.openmmlab.com/mmpose/top_down/hrnet/'
                      'hrnet_w48_coco_256x192-b9e0b3ab_20200708.pth')),
    neck=dict(feat_channels=(48, 96, 192, 384)))

# Tiny random HRNet (one block per branch) for tests and the shipped sample
hrnet_tiny = dict(
    backbone=dict(
        extra=dict(
            stage1=dict(num_blocks=(1, ), num_channels=(8, )),
            stage2=dict(num_blocks=(1, 1), num_channels=(4, 8)),
            stage3=dict(num_modules=1, num_blocks=(1, 1, 1), num_channels=(4, 8, 16)),
            stage4=dict(num_modules=2, num_blocks=(1, 1, 1, 1), num_channels=(4, 8, 16, 32))),
        init_cfg=None),
    neck=dict(feat_channels=(4, 8, 16, 32)))
