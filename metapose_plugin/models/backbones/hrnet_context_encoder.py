"""Frozen HRNet returning the four maps CA-PF and MetaPose sample from."""
from typing import List, Tuple

from mmpose.models.backbones import HRNet
from mmpose.registry import MODELS
from torch import Tensor, nn


@MODELS.register_module()
class HRNetContextEncoder(HRNet):
    """HRNet (Sun et al., CVPR 2019) as a frozen multi-level image encoder.

    The architecture and parameter names are MMPose's :class:`HRNet`, which
    match the original HRNet ``.pth`` files (no prefix) and MMPose COCO
    top-down checkpoints (under ``backbone.``; load them with
    ``init_cfg=dict(type='Pretrained', checkpoint=..., prefix='backbone.')``).
    All parameters are frozen and the module always stays in eval mode (BN
    uses its stored statistics), also while the parent model trains.

    The four returned levels are those the CA-PF (Zhao et al., NeurIPS 2023)
    reference actually uses: level 1 is the final stage-4 output
    (highest-resolution branch); levels 2-4 are the outputs of branches 2-4 of
    the *first* stage-4 module, before its fusion.

    Note:
        - B: batch; C_1..C_4: branch widths (W32: 32, 64, 128, 256)
        - input: (B, 3, H, W) normalised RGB crop (256 x 192 in the SPEC)
        - level l output: (B, C_l, H / 2^(l+1), W / 2^(l+1))

    Args:
        extra (dict): HRNet architecture (``stage1`` .. ``stage4``), as for
            MMPose's :class:`HRNet`. Stage 4 must have 4 branches.
        in_channels (int): Input channels. Defaults to 3.
        init_cfg (dict, optional): MMEngine init config, e.g. a
            ``Pretrained`` entry. Defaults to None (random init).
    """

    def __init__(self, extra: dict, in_channels: int = 3, init_cfg: dict = None):
        if extra['stage4']['num_branches'] != 4:
            raise ValueError('HRNetContextEncoder: extra.stage4.num_branches must be 4, got '
                             f"{extra['stage4']['num_branches']}")
        super().__init__(
            extra=extra, in_channels=in_channels, norm_eval=True, frozen_stages=4,
            init_cfg=init_cfg)
        for param in self.parameters():
            param.requires_grad = False
        self.eval()

    @property
    def out_channels(self) -> List[int]:
        """Channels C_l of the four returned levels."""
        return list(self.stage4_cfg['num_channels'])

    def train(self, mode: bool = True) -> 'HRNetContextEncoder':
        """Keep the frozen encoder in eval mode whatever ``mode`` is."""
        super().train(False)
        return self

    def forward(self, x: Tensor) -> Tuple[Tensor, Tensor, Tensor, Tensor]:
        """Encode a normalised image batch.

        Args:
            x (Tensor): Images in shape (B, 3, H, W).

        Returns:
            tuple[Tensor]: Four maps, level l in shape (B, C_l, H_l, W_l).
        """
        x = self.relu(self.norm2(self.conv2(self.relu(self.norm1(self.conv1(x))))))
        x = self.layer1(x)
        ys = self.stage2(self._transition(self.transition1, [x]))
        ys = self.stage3(self._transition(self.transition2, ys))
        xs = self._transition(self.transition3, ys)

        first = self.stage4[0]
        branches = [branch(x) for branch, x in zip(first.branches, xs)]
        ys = _fuse(first, branches)
        for module in self.stage4[1:]:
            ys = module(ys)
        return (ys[0], *branches[1:])

    @staticmethod
    def _transition(transition: nn.ModuleList, ys: List[Tensor]) -> List[Tensor]:
        """Inputs of the next stage: kept branches, converted ones, and new
        branches made from the lowest-resolution output."""
        return [
            ys[i] if layer is None else layer(ys[min(i, len(ys) - 1)])
            for i, layer in enumerate(transition)
        ]


def _fuse(module: nn.Module, branches: List[Tensor]) -> List[Tensor]:
    """Exchange unit of an MMPose ``HRModule`` applied to branch outputs:
    output i is ``relu(sum_j fuse_layers[i][j](branch_j))`` (identity for
    j = i)."""
    outs = []
    for fuse_row in module.fuse_layers:
        total = 0
        for j, (layer, y) in enumerate(zip(fuse_row, branches)):
            total = total + (y if layer is None else layer(y))
        outs.append(module.relu(total))
    return outs
