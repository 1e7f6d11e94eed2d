"""Pure metric functions (NumPy), wrapped by the registered metrics."""
from .finite_check import NONFINITE_MODES, check_finite, check_nonfinite_mode
from .mpi_inf_3dhp_eval import (AUC_THRESHOLDS_MM, PCK_JOINT_GROUPS,
                                PCK_THRESHOLD_MM, evaluate_sequences,
                                joint_errors, table_row)

__all__ = [
    'AUC_THRESHOLDS_MM', 'NONFINITE_MODES', 'PCK_JOINT_GROUPS', 'PCK_THRESHOLD_MM',
    'check_finite', 'check_nonfinite_mode', 'evaluate_sequences', 'joint_errors', 'table_row'
]
