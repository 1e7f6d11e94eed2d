"""Refinement of lifted x, y with the camera back-projection (P-STMO)."""
from collections import OrderedDict

import torch
from torch import Tensor, nn


def uvd_to_xyz(uv: Tensor, depth: Tensor, root_depth: Tensor, camera: Tensor) -> Tensor:
    """Back-project 2D joints with depths into root-relative 3D.

    ``z_0 = root_depth``, ``z_k = root_depth + depth_k`` (k > 0), ``xy =
    (uv - c) * z / f``, then the root is subtracted.

    Note:
        - B: batch, N: frames, K: joints

    Args:
        uv (Tensor): Normalised screen 2D (B, N, K, 2).
        depth (Tensor): Root-relative depths (B, N, K), metres (the root's
            entry is ignored).
        root_depth (Tensor): Absolute root depth (B, N), metres, camera
            frame.
        camera (Tensor): Normalised intrinsics (B, >=4) ``[fx, fy, cx, cy,
            ...]``.

    Returns:
        Tensor: Root-relative camera-frame 3D (B, N, K, 3), metres.
    """
    z = torch.cat([root_depth[..., None], depth[..., 1:] + root_depth[..., None]], dim=-1)
    f = camera[:, None, None, :2]
    c = camera[:, None, None, 2:4]
    xyz = torch.cat([(uv - c) * z[..., None] / f, z[..., None]], dim=-1)
    return xyz - xyz[..., :1, :]


class UVDRefine(nn.Module):
    """Blend lifted x, y with back-projected x, y (the refine module of
    P-STMO, Shan et al., ECCV 2022, reused by MPM).

    ``s = sigmoid(mlp(cat(pred, xyz)))``, ``out_xy = s * pred_xy + (1 - s) *
    xyz_xy``, ``out_z = pred_z``, with ``mlp = Linear(6K, hidden) -> ReLU ->
    dropout -> Linear(hidden, 2K)`` on the flattened joint-major input.

    Note:
        - B: batch, N: frames (1), K: joints; metres, camera frame,
          root-relative

    Args:
        num_keypoints (int): Joints K.
        num_frames (int): Frames N refined together. Defaults to 1.
        hidden_dims (int): Hidden channels. Defaults to 1024.
        drop (float): Dropout rate. Defaults to 0.5.
    """

    def __init__(self,
                 num_keypoints: int,
                 num_frames: int = 1,
                 hidden_dims: int = 1024,
                 drop: float = 0.5):
        super().__init__()
        size = num_frames * num_keypoints
        self.mlp = nn.Sequential(
            OrderedDict(
                fc1=nn.Linear(6 * size, hidden_dims),
                act=nn.ReLU(),
                drop=nn.Dropout(drop),
                fc2=nn.Linear(hidden_dims, 2 * size),
                gate=nn.Sigmoid()))

    def forward(self, pred: Tensor, xyz: Tensor) -> Tensor:
        """Refine ``pred`` (B, N, K, 3) with ``xyz`` (B, N, K, 3)."""
        B, N, K, _ = pred.shape
        score = self.mlp(torch.cat([pred, xyz], dim=-1).reshape(B, -1)).view(B, N, K, 2)
        xy = score * pred[..., :2] + (1 - score) * xyz[..., :2]
        return torch.cat([xy, pred[..., 2:]], dim=-1)
