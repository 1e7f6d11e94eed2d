"""The flat-MLP stage model of multi-view MetaPose (the S1+S2/MLP ablation)."""
from typing import Sequence

from mmpose.registry import MODELS
from torch import Tensor, nn

from metapose_plugin.models.utils.multiview.dense import Dense
from metapose_plugin.structures.multiview.multiview_packing import NUM_BONES, solution_size


@MODELS.register_module()
class FlatStageModel(nn.Module):
    """A plain MLP over the whole stage input (not equivariant in the views).

    The reference's ``get_simple_stage_model``: SELU ``Dense`` layers of
    ``mlp_sizes`` and a linear ``Dense`` to the solution size.

    Note:
        Input (B, 3K + 10V + V*K*M*4 (+16) + 2VK + 2), output (B, 3K + 10V).

    Args:
        num_views (int): V.
        num_joints (int): K. Defaults to 17.
        num_components (int): M. Defaults to 4.
        mlp_sizes (list[int]): Hidden widths. Defaults to (512, 512, 512, 128).
        use_bone_lengths (bool): The task carries 16 bone lengths.
    """

    def __init__(self,
                 num_views: int,
                 num_joints: int = 17,
                 num_components: int = 4,
                 mlp_sizes: Sequence[int] = (512, 512, 512, 128),
                 use_bone_lengths: bool = False):
        super().__init__()
        x_size = solution_size(num_views, num_joints)
        in_size = (x_size + num_views * num_joints * num_components * 4 +
                   (NUM_BONES if use_bone_lengths else 0) + 2 * num_views * num_joints + 2)
        widths = [in_size, *mlp_sizes]
        self.mlp = nn.Sequential(*[Dense(i, o) for i, o in zip(widths[:-1], widths[1:])],
                                 Dense(widths[-1], x_size, activation=False))

    def forward(self, inputs: Tensor) -> Tensor:
        """(B, stage input) -> (B, 3K + 10V) update."""
        return self.mlp(inputs)
