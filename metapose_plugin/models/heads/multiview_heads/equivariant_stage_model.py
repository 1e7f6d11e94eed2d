"""The permutation-equivariant stage model of multi-view MetaPose (stage 2)."""
from typing import List, Sequence, Union

import torch
from mmpose.registry import MODELS
from torch import Tensor, nn

from metapose_plugin.models.utils.multiview.context_layers import (ContextConcatenation,
                                                                   ContextNormalization)
from metapose_plugin.models.utils.multiview.dense import Dense
from metapose_plugin.structures.multiview.multiview_packing import (NUM_BONES, solution_size,
                                                                    unpack_solution, unpack_task)

#: Parts of a view's row that ``drop_inputs`` can remove (the reference's
#: ``--debug_drop_mlp_inputs`` names): view-independent ``pose`` and
#: ``loss`` (the objective and the stage index), per-view ``cams`` (rotation,
#: scale, shift), ``heatmaps`` (mixtures) and ``projs`` (projections).
DROPPABLE_INPUTS = ('pose', 'loss', 'cams', 'heatmaps', 'projs')


def parse_mlp_spec(spec: Union[str, Sequence]) -> List[Union[int, str]]:
    """``'512,512,ccat,512'`` or a list -> ``[512, 512, 'ccat', 512]``.

    Entries are layer widths or ``'ccat'`` / ``'cn'``; the first must be a width.
    """
    items = spec.split(',') if isinstance(spec, str) else list(spec)
    parsed = []
    for item in items:
        item = item.strip() if isinstance(item, str) else item
        if isinstance(item, int) or (isinstance(item, str) and item.isdigit()):
            parsed.append(int(item))
        elif item in ('ccat', 'cn'):
            parsed.append(item)
        else:
            raise ValueError(f'mlp spec {spec!r}: entry {item!r} is neither a width nor ccat/cn')
    if not parsed or not isinstance(parsed[0], int):
        raise ValueError(f'mlp spec {spec!r}: the first entry must be a width')
    return parsed


def equivariant_mlp(in_channels: int, out_channels: int, spec: Sequence) -> nn.Sequential:
    """The reference's ``EquivariantMLP`` over (B, V, C) features.

    It builds ``Dense(spec[0])`` and then one layer per spec entry, so the
    first width is built **twice** (a quirk kept for checkpoint parity),
    followed by a linear ``Dense(out_channels)``. ``ccat`` triples the width.
    """
    spec = parse_mlp_spec(spec)
    layers, width = [Dense(in_channels, spec[0])], spec[0]
    for entry in spec:
        if entry == 'cn':
            layers.append(ContextNormalization())
        elif entry == 'ccat':
            layers.append(ContextConcatenation())
            width *= 3
        else:
            layers.append(Dense(width, entry))
            width = entry
    layers.append(Dense(width, out_channels, activation=False))
    return nn.Sequential(*layers)


@MODELS.register_module()
class EquivariantStageModel(nn.Module):
    """One learned solver stage, equivariant in the views and invariant in the pose.

    The reference's ``InvariantStageModel`` (Usman et al., CVPR 2022). Each
    view gets the row ``[pose (3K), val, stage, (bones 16), rot6d (6),
    scale parameter (1), shift (3), mixtures (K*M*4), projections (2K)]``
    (369 values for K = 17, M = 4 without bones); a shared
    :func:`equivariant_mlp` maps it to ``[emb (E) | camera update (10)]``;
    ``emb`` is averaged over views and ``pose_mlp`` gives the pose update.

    Note:
        B frames, V views, K joints, M components, E ``pose_emb_size``. The
        stage input is the reference's flat vector ``[x | task | fwd | val,
        stage]`` (B, 3K + 10V + V*K*M*4 (+16) + 2VK + 2); the output is the
        update of ``x`` (B, 3K + 10V), float64 in the reference.

    Args:
        num_views (int): V.
        num_joints (int): K. Defaults to 17.
        num_components (int): M. Defaults to 4.
        main_mlp_spec (str | list): Widths and ``ccat``/``cn`` entries.
            Defaults to the H36M README spec ``512,512,ccat,512,512,ccat,512``.
        pose_emb_size (int): E. Defaults to 512.
        pose_mlp_sizes (list[int]): Hidden widths of ``pose_mlp``. Defaults
            to (256, 128).
        use_bone_lengths (bool): The task carries 16 normalised bone lengths
            (the BL ablation). Defaults to False.
        drop_inputs (Sequence[str]): Parts of :data:`DROPPABLE_INPUTS` left
            out of every view's row (the reference's
            ``--debug_drop_mlp_inputs``, e.g. ``('pose', 'cams',
            'heatmaps')``: the update then sees only the projections and the
            objective). Defaults to () (all inputs).
    """

    def __init__(self,
                 num_views: int,
                 num_joints: int = 17,
                 num_components: int = 4,
                 main_mlp_spec: Union[str, Sequence] = '512,512,ccat,512,512,ccat,512',
                 pose_emb_size: int = 512,
                 pose_mlp_sizes: Sequence[int] = (256, 128),
                 use_bone_lengths: bool = False,
                 drop_inputs: Sequence[str] = ()):
        super().__init__()
        unknown = set(drop_inputs) - set(DROPPABLE_INPUTS)
        if unknown:
            raise ValueError(f'drop_inputs: unknown {sorted(unknown)}; choose from '
                             f'{DROPPABLE_INPUTS}')
        self.num_views, self.num_joints = num_views, num_joints
        self.num_components = num_components
        self.pose_emb_size = pose_emb_size
        self.use_bone_lengths = use_bone_lengths
        self.drop_inputs = tuple(drop_inputs)
        sizes = dict(pose=3 * num_joints, loss=2, cams=10, heatmaps=num_joints * num_components * 4,
                     projs=2 * num_joints)
        per_view = sum(size for name, size in sizes.items() if name not in self.drop_inputs) + (
            NUM_BONES if use_bone_lengths else 0)
        if not per_view:
            raise ValueError(f'drop_inputs {self.drop_inputs} leaves no input')
        self.main_mlp = equivariant_mlp(per_view, pose_emb_size + 10, main_mlp_spec)
        widths = [pose_emb_size, *pose_mlp_sizes]
        self.pose_mlp = nn.Sequential(*[Dense(i, o) for i, o in zip(widths[:-1], widths[1:])],
                                      Dense(widths[-1], 3 * num_joints, activation=False))

    def view_rows(self, inputs: Tensor) -> Tensor:
        """(B, stage input) -> (B, V, per-view row) the input of ``main_mlp``."""
        batch, views, joints = inputs.shape[0], self.num_views, self.num_joints
        x_size = solution_size(views, joints)
        task_size = views * joints * self.num_components * 4 + (
            NUM_BONES if self.use_bone_lengths else 0)
        x, task, fwd, val_stage = torch.split(
            inputs, [x_size, task_size, 2 * views * joints, 2], dim=1)
        sol = unpack_solution(x, views, joints)
        mixtures, bones = unpack_task(task, views, joints, self.num_components,
                                      self.use_bone_lengths)
        # view-independent parts (B, .) in the reference's order, then per-view parts (B, V, .)
        shared = dict(pose=[sol.pose.reshape(batch, -1)], loss=[val_stage])
        per_view = dict(
            cams=[sol.rot6d.reshape(batch, views, 6), sol.scale_param[..., None], sol.shift],
            heatmaps=[mixtures.reshape(batch, views, -1)], projs=[fwd.reshape(batch, views, -1)])
        kept_shared = [t for name, parts in shared.items() if name not in self.drop_inputs
                       for t in parts] + ([bones] if bones is not None else [])
        kept_view = [t for name, parts in per_view.items() if name not in self.drop_inputs
                     for t in parts]
        # shared (B, 3K + 2 [+ 16]) -> repeated over views (B, V, .)
        rows = [t[:, None].expand(-1, views, -1) for t in kept_shared] + kept_view
        return torch.cat(rows, dim=2)

    def forward(self, inputs: Tensor) -> Tensor:
        """(B, stage input) -> (B, 3K + 10V) update of the solution."""
        out = self.main_mlp(self.view_rows(inputs))
        # (B, V, E + 10) -> pose embedding (B, E) averaged over views, camera update (B, V, 10)
        emb, cams = out[..., :self.pose_emb_size], out[..., self.pose_emb_size:]
        d_pose = self.pose_mlp(emb.mean(dim=1))
        batch = inputs.shape[0]
        return torch.cat([d_pose, cams[..., :6].reshape(batch, -1), cams[..., 6],
                          cams[..., 7:].reshape(batch, -1)], dim=1)
