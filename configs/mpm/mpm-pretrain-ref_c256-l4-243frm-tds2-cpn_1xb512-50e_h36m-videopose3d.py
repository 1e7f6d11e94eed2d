# MPM pretraining as the reference computes it: one mask per batch (the first
# window's), losses over every frame and joint, masked frames through the
# per-frame layers (training BatchNorm statistics), and validation over every
# joint. The reference reseeds its mask generator from OS entropy each batch,
# which no config can reproduce; masks here stay seeded. Not reproduced
# either: the reference doubles each epoch with the flipped copy of every
# pair (here a random flip with p = 0.5).
_base_ = ['./mpm-pretrain_c256-l4-243frm-tds2-cpn_1xb512-50e_h36m-videopose3d.py']

model = dict(backbone=dict(encode_masked_frames=True), share_masks=True, loss_on_masked=False)
val_evaluator = dict(masked_only=False)
test_evaluator = val_evaluator
