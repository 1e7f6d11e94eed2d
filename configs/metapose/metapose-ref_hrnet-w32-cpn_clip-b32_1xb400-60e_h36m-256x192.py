# MetaPose reference behaviour (checkpoint parity, fixture README behaviours
# 5-7): unshifted text pooling index and the train.py action-slot quirk,
# frozen (never optimised) prompts, alignment noise also at evaluation (random
# inference), layer norm on the Gaussian prompt, no KL term. Converted
# reference checkpoints (tools/convert_reference_ckpt.py --kind metapose) load
# into this config.
_base_ = ['./metapose_hrnet-w32-cpn_clip-b32_1xb400-60e_h36m-256x192.py']

faithful = True

model = dict(
    text_encoder=dict(faithful=faithful, train_prompts=False),
    neck=dict(faithful=faithful, kl_weight=0.0))
