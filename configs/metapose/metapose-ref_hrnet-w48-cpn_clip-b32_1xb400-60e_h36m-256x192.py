# MetaPose reference behaviour with HRNet-W48 (see the metapose-ref W32 config).
_base_ = ['./metapose_hrnet-w48-cpn_clip-b32_1xb400-60e_h36m-256x192.py']

faithful = True

model = dict(
    text_encoder=dict(faithful=faithful, train_prompts=False),
    neck=dict(faithful=faithful, kl_weight=0.0))
