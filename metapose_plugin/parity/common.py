"""What every parity check shares: loading fixture weights, dtype-derived
tolerances and the report with its verdict."""
from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Mapping, Optional

import torch
from torch import Tensor

#: Unit roundoff of the two dtypes the references compute in.
FLOAT32_EPS = torch.finfo(torch.float32).eps  # 1.19e-7
FLOAT64_EPS = torch.finfo(torch.float64).eps  # 2.2e-16


class FixtureError(ValueError):
    """A fixture folder lacks something a check reads as its input (the
    message names the file and the entry)."""


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


def relative_tolerance(tol: float, reference: Tensor) -> float:
    """Absolute tolerance ``tol * max(1, max|reference|)``."""
    reference = torch.as_tensor(reference)
    scale = reference.double().abs().max().item() if reference.numel() else 0.0
    return tol * max(1.0, scale)


def float32_ulps(count: float, reference: Tensor) -> float:
    """Absolute tolerance of ``count`` float32 rounding steps at the
    magnitude of ``reference`` (:func:`relative_tolerance` of
    ``count * eps32``).

    For values the reference computed in float32: their last bits depend on
    the order of its reductions (library, SIMD width), so bit equality with
    an independent implementation is not to be expected."""
    return relative_tolerance(count * FLOAT32_EPS, reference)


@dataclass
class ParityResult:
    """Outcome of one parity check.

    Attributes:
        compared (list[str]): Outputs compared with the reference.
        failed (list[str]): Compared outputs beyond their tolerance.
        skipped (dict[str, str]): Outputs not compared, with the reason.
        missing_required (list[str]): Outputs the kind must compare for a
            fixture of its layout that were not compared (absent from the
            fixture or skipped).
    """
    compared: List[str] = field(default_factory=list)
    failed: List[str] = field(default_factory=list)
    skipped: Dict[str, str] = field(default_factory=dict)
    missing_required: List[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """True only when something was compared, every compared output is
        within tolerance and no required output is missing."""
        return bool(self.compared) and not self.failed and not self.missing_required

    def __bool__(self) -> bool:
        return self.passed

    def summary(self) -> str:
        """One line: compared / failed / skipped counts and the verdict."""
        line = (f'compared {len(self.compared)}, failed {len(self.failed)}, skipped '
                f'{len(self.skipped)}, required missing {len(self.missing_required)}: '
                f'{"PASS" if self.passed else "FAIL"}')
        if not self.compared:
            line += ' (nothing was compared)'
        if self.missing_required:
            line += f'\nrequired but not compared: {", ".join(self.missing_required)}'
        return line


def report(diffs: Mapping[str, Optional[float]],
           tolerances: Mapping[str, float],
           skipped: Optional[Mapping[str, str]] = None,
           required: Iterable[str] = ()) -> ParityResult:
    """Print one line per output and the summary; return the verdict.

    Args:
        diffs (Mapping[str, float | None]): Output name -> max absolute
            difference; None (or NaN) means the output was not compared.
        tolerances (Mapping[str, float]): Output name -> absolute tolerance.
            A name missing here uses the ``'default'`` entry.
        skipped (Mapping[str, str], optional): Output name -> why it was
            skipped, printed for outputs whose diff is None.
        required (Iterable[str]): Outputs that must have been compared; one
            that is absent from ``diffs`` or skipped fails the check.

    Returns:
        ParityResult: Compared, failed, skipped and missing outputs.
    """
    skipped = dict(skipped or {})
    width = max([24] + [len(name) + 2 for name in diffs])
    result = ParityResult()
    for name, diff in diffs.items():
        if diff is None or diff != diff:
            result.skipped[name] = skipped.get(name, 'not in the fixture')
            print(f'{name:<{width}} skipped ({result.skipped[name]})')
            continue
        tol = tolerances.get(name, tolerances.get('default'))
        if tol is None:
            raise KeyError(f'no tolerance for {name!r}')
        result.compared.append(name)
        if diff > tol:
            result.failed.append(name)
        print(f'{name:<{width}} max|diff| = {diff:.3e}  (tol {tol:.1e})  '
              f'{"OK" if diff <= tol else "FAIL"}')
    result.missing_required = [name for name in required if name not in result.compared]
    print(result.summary())
    return result
