"""What every parity check shares: loading fixture weights and reporting."""
from typing import Dict, Mapping, Optional

import torch
from torch import Tensor


def load_float(path: str) -> Dict[str, Tensor]:
    """Load a fixture state dict, floating tensors cast to float32."""
    state_dict = torch.load(path, map_location='cpu')
    return {k: v.float() if v.is_floating_point() else v for k, v in state_dict.items()}


def max_abs_diff(ours: Tensor, reference: Tensor, name: str = 'output') -> float:
    """Max absolute difference of two tensors of one shape (float64)."""
    ours, reference = torch.as_tensor(ours), torch.as_tensor(reference)
    if ours.shape != reference.shape:
        raise ValueError(f'{name}: our shape {tuple(ours.shape)} differs from the '
                         f'reference shape {tuple(reference.shape)}')
    return (ours.double() - reference.double()).abs().max().item() if ours.numel() else 0.0


def report(diffs: Mapping[str, Optional[float]],
           tolerances: Mapping[str, float],
           skipped: Optional[Mapping[str, str]] = None) -> bool:
    """Print one line per output and return True if every compared one passes.

    Args:
        diffs (Mapping[str, float | None]): Output name -> max absolute
            difference; None (or NaN) means the output was not compared.
        tolerances (Mapping[str, float]): Output name -> tolerance. A name
            missing here uses the ``'default'`` entry.
        skipped (Mapping[str, str], optional): Output name -> why it was
            skipped, printed for outputs whose diff is None.
    """
    skipped = skipped or {}
    width = max([24] + [len(name) + 2 for name in diffs])
    ok = True
    for name, diff in diffs.items():
        if diff is None or diff != diff:
            print(f'{name:<{width}} skipped ({skipped.get(name, "not in the fixture")})')
            continue
        tol = tolerances.get(name, tolerances.get('default'))
        if tol is None:
            raise KeyError(f'no tolerance for {name!r}')
        passed = diff <= tol
        ok &= passed
        print(f'{name:<{width}} max|diff| = {diff:.3e}  (tol {tol:.0e})  '
              f'{"OK" if passed else "FAIL"}')
    return ok
