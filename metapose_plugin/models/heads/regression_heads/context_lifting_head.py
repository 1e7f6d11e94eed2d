"""Lifting head shared by CA-PF and MetaPose: joint tokens -> 3D joints."""
from typing import Sequence, Tuple, Union

import numpy as np
import torch
from mmengine.structures import InstanceData
from mmpose.models.heads.base_head import BaseHead
from mmpose.registry import MODELS
from mmpose.utils.typing import ConfigType, OptConfigType, OptSampleList, Predictions
from torch import Tensor, nn

from metapose_plugin.models.layers.vit_block import ViTBlock, drop_path_rates
from metapose_plugin.structures.pose_ops import mirror_poses


@MODELS.register_module()
class ContextLiftingHead(BaseHead):
    """Two-stage transformer regressing root-relative 3D joints.

    After PoseFormer (Zheng et al., ICCV 2021) as used by CA-PF (Zhao et al.,
    NeurIPS 2023) and MetaPose: a per-joint "scale" transformer over the T
    tokens of each joint, a joint transformer over the K joints with the T
    tokens concatenated (T*C channels), then ``final_norm`` and ``fc``
    (Linear(T*C, 3)).

    Note:
        - B: batch, K: joints, T: tokens per joint, C: token channels
        - output: camera frame, metres, root-relative (the root joint is
          predicted, not forced to 0)

    Args:
        embed_dims (int): Token channels C. Defaults to 128.
        num_tokens (int): Tokens per joint T. Defaults to 5.
        num_keypoints (int): Joints K. Defaults to 17.
        num_blocks (int): Blocks of each transformer. Defaults to 4.
        num_heads (int): Attention heads of both transformers. Defaults to 8.
        mlp_ratio (float): MLP ratio of both transformers. Defaults to 2.0.
        drop_path_range (tuple[float, float]): Stochastic-depth rates of the
            first and last block (linspace). CA-PF (0.0, 0.2), MetaPose
            (0.1, 0.2). Defaults to (0.0, 0.2).
        norm_eps (float): LayerNorm epsilon inside the blocks. Defaults to 1e-6.
        final_norm_eps (float): Epsilon of ``final_norm``. Defaults to 1e-5.
        with_pos_embed (bool): Learn ``scale_pos_embed`` (1, T, C) and
            ``joint_pos_embed`` (1, K, T*C), initialised N(0, 0.02) (MetaPose);
            CA-PF has none. Defaults to False.
        loss (dict): 3D loss config. Defaults to MMPose ``MPJPELoss`` (mean
            over B x K of the Euclidean error, metres).
        init_cfg (dict, optional): MMEngine init config. Defaults to None.
    """

    def __init__(self,
                 embed_dims: int = 128,
                 num_tokens: int = 5,
                 num_keypoints: int = 17,
                 num_blocks: int = 4,
                 num_heads: int = 8,
                 mlp_ratio: float = 2.0,
                 drop_path_range: Tuple[float, float] = (0.0, 0.2),
                 norm_eps: float = 1e-6,
                 final_norm_eps: float = 1e-5,
                 with_pos_embed: bool = False,
                 loss: ConfigType = dict(type='MPJPELoss'),
                 init_cfg: OptConfigType = None):
        super().__init__(init_cfg=init_cfg)
        self.embed_dims = embed_dims
        self.num_tokens = num_tokens
        self.num_keypoints = num_keypoints
        joint_dims = embed_dims * num_tokens
        rates = drop_path_rates(drop_path_range[0], drop_path_range[1], num_blocks)
        self.scale_blocks = nn.ModuleList(
            ViTBlock(embed_dims, num_heads, mlp_ratio, drop_path_rate=r, norm_eps=norm_eps)
            for r in rates)
        self.joint_blocks = nn.ModuleList(
            ViTBlock(joint_dims, num_heads, mlp_ratio, drop_path_rate=r, norm_eps=norm_eps)
            for r in rates)
        self.final_norm = nn.LayerNorm(joint_dims, eps=final_norm_eps)
        self.fc = nn.Linear(joint_dims, 3)
        self.with_pos_embed = with_pos_embed
        if with_pos_embed:
            self.scale_pos_embed = nn.Parameter(torch.zeros(1, num_tokens, embed_dims))
            self.joint_pos_embed = nn.Parameter(torch.zeros(1, num_keypoints, joint_dims))
        self.loss_module = MODELS.build(loss)

    def init_weights(self) -> None:
        """N(0, 0.02) positional embeddings when present."""
        super().init_weights()
        if self.with_pos_embed:
            nn.init.normal_(self.scale_pos_embed, std=0.02)
            nn.init.normal_(self.joint_pos_embed, std=0.02)

    def forward(self, feats: Tensor) -> Tensor:
        """Regress 3D joints.

        Args:
            feats (Tensor): Joint tokens in shape (B, T, K, C).

        Returns:
            Tensor: 3D joints in shape (B, K, 3), metres, root-relative.
        """
        B, T, K, C = feats.shape
        if (T, K, C) != (self.num_tokens, self.num_keypoints, self.embed_dims):
            raise ValueError(f'ContextLiftingHead: tokens must be (B, {self.num_tokens}, '
                             f'{self.num_keypoints}, {self.embed_dims}), got {tuple(feats.shape)}')
        # (B, T, K, C) -> (B*K, T, C): one sequence of T tokens per joint
        x = feats.permute(0, 2, 1, 3).reshape(B * K, T, C)
        if self.with_pos_embed:
            x = x + self.scale_pos_embed
        for block in self.scale_blocks:
            x = block(x)
        # (B*K, T, C) -> (B, K, T*C): tokens concatenated in level order
        x = x.reshape(B, K, T * C)
        if self.with_pos_embed:
            x = x + self.joint_pos_embed
        for block in self.joint_blocks:
            x = block(x)
        return self.fc(self.final_norm(x))

    def loss(self,
             feats: Tensor,
             batch_data_samples: OptSampleList,
             train_cfg: ConfigType = {}) -> dict:
        """MPJPE (metres) against ``gt_instance_labels.lifting_target_label``.

        Args:
            feats (Tensor): Joint tokens in shape (B, T, K, C).
            batch_data_samples (list[PoseDataSample]): B samples, each with
                ``gt_instance_labels.lifting_target_label`` (1, K, 3).
            train_cfg (dict): Unused. Defaults to {}.

        Returns:
            dict: ``loss_pose3d``.
        """
        pred = self.forward(feats)
        target = torch.cat(
            [d.gt_instance_labels.lifting_target_label for d in batch_data_samples]).to(pred)
        return dict(loss_pose3d=self.loss_module(pred, target))

    def predict(self,
                feats: Union[Tensor, Sequence[Tensor]],
                batch_data_samples: OptSampleList,
                test_cfg: ConfigType = {}) -> Predictions:
        """Predict 3D joints, averaging with the flipped input when asked.

        Args:
            feats (Tensor | Sequence[Tensor]): Joint tokens (B, T, K, C), or
                the pair (tokens, tokens of the horizontally flipped input)
                when ``test_cfg['flip_test']`` is True.
            batch_data_samples (list[PoseDataSample]): B samples; with flip
                test their metainfo must have ``flip_indices``.
            test_cfg (dict): ``flip_test`` (bool). Defaults to {}.

        Returns:
            list[InstanceData]: B instances with ``keypoints`` (1, K, 3)
            (numpy, metres, root-relative) and ``keypoint_scores`` (1, K)
            (ones), as MMPose's lifting heads return them.
        """
        if test_cfg.get('flip_test', False):
            tokens, tokens_flip = feats
            flip_indices = batch_data_samples[0].metainfo['flip_indices']
            pred = (self.forward(tokens) + mirror_poses(
                self.forward(tokens_flip), flip_indices)) / 2
        else:
            pred = self.forward(feats)
        pred = pred.detach().float().cpu().numpy()
        scores = np.ones((1, pred.shape[1]), dtype=np.float32)
        return [InstanceData(keypoints=p[None], keypoint_scores=scores.copy()) for p in pred]
