# Reference behaviour (see the CPN -ref config) on ground-truth 2D.
_base_ = ['./finepose_mixste-243frm-gt_clip-b32_1xb4-120e_h36m-videopose3d.py']

model = dict(
    backbone=dict(text_rows='modulo'),
    text_encoder=dict(pool_index='action_eot', train_prompts=False),
    train_cfg=dict(loss='reference', action_drop_prob=0.0, action_field='action_word'),
    test_cfg=dict(
        use_gt_action=True, noise='global', aggregation='J-Agg', action_field='action_word'))
val_evaluator = dict(p_best_pool='batch')
test_evaluator = val_evaluator
