# MetaPose with the CLIP ViT-L/14 text tower (768 text channels).
_base_ = ['./metapose_hrnet-w32-cpn_clip-b32_1xb400-60e_h36m-256x192.py']

model = dict(
    text_encoder=dict(model_name_or_path='openai/clip-vit-large-patch14'),
    neck=dict(text_channels=768))
