# FinePOSE as the reference computes it (checkpoint and fixture parity,
# SPEC section 7): cross-attention row r reads the text of batch row r mod B,
# pooling at the action word's EOT index in the concatenated prompt, frozen
# prompt context vectors, back-propagation of loss * loss, the ground-truth
# action in the prompt at test, noise from the global generator and P-Best
# chosen over the whole evaluation batch (4 windows). Load a converted
# `best_epoch_20_10.bin` (tools/convert_reference_ckpt.py) with --cfg-options
# load_from=... The headline is J-Agg (the paper presents JPMA; it reprojects
# with the ground-truth root trajectory); the paper's numbers are J-Best.
_base_ = ['./finepose_mixste-243frm-cpn_clip-b32_1xb4-100e_h36m-videopose3d.py']

model = dict(
    backbone=dict(text_rows='modulo'),
    text_encoder=dict(pool_index='action_eot', train_prompts=False),
    train_cfg=dict(loss='reference', action_drop_prob=0.0, action_field='action_word'),
    test_cfg=dict(
        use_gt_action=True, noise='global', aggregation='J-Agg', action_field='action_word'))
val_evaluator = dict(p_best_pool='batch')
test_evaluator = val_evaluator
