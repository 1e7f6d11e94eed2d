# MetaPose variants, each a `model` override used as `model = {{_base_.X}}`
# by a config that inherits the corresponding default config.

# Reference behaviour (checkpoint parity, fixture README behaviours 5-7):
# unshifted text pooling index and the train.py action-slot quirk, frozen
# (never optimised) prompts, alignment noise also at evaluation (random
# inference), layer norm on the Gaussian prompt, no KL term. Converted
# reference checkpoints (tools/convert_reference_ckpt.py) load into these.
metapose_ref = dict(
    text_encoder=dict(faithful=True, train_prompts=False),
    neck=dict(faithful=True, kl_weight=0.0))

# CLIP ViT-L/14 text tower (768 text channels)
clip_l14 = dict(
    text_encoder=dict(model_name_or_path='openai/clip-vit-large-patch14'),
    neck=dict(text_channels=768))
