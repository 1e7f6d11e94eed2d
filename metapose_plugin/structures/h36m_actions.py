"""Human3.6M action names and their spellings in the published layouts."""
from typing import Tuple, Union

#: The 15 canonical action names, in the official H36M order. The CA-PF
#: pickles store them as ids ``2..16`` in this order.
H36M_ACTIONS: Tuple[str, ...] = (
    'Directions', 'Discussion', 'Eating', 'Greeting', 'Phoning', 'Posing',
    'Purchases', 'Sitting', 'SittingDown', 'Smoking', 'TakingPhoto',
    'Waiting', 'Walking', 'WalkingDog', 'WalkTogether')

#: Spellings used in file names of the original release (and so in MMPose's
#: npz layout) that differ from the canonical name.
_ACTION_ALIASES = {
    'Photo': 'TakingPhoto',
    'WalkDog': 'WalkingDog',
}

#: Offset of the first action id in the CA-PF / H36M-Toolbox pickles.
PICKLE_FIRST_ACTION_ID = 2


def canonical_action_name(action: Union[str, int]) -> str:
    """Return the canonical H36M action name.

    Args:
        action (str | int): A name as spelled in H36M file names (``'Photo'``,
            ``'WalkDog'``, the canonical names) or a CA-PF pickle action id
            (``2..16``).

    Returns:
        str: One of :data:`H36M_ACTIONS`.

    Raises:
        ValueError: If the name or id is not a Human3.6M action.
    """
    if isinstance(action, str):
        name = _ACTION_ALIASES.get(action, action)
        if name not in H36M_ACTIONS:
            raise ValueError(f'unknown Human3.6M action {action!r}; expected '
                             f'one of {H36M_ACTIONS} or an alias in '
                             f'{sorted(_ACTION_ALIASES)}')
        return name
    index = int(action) - PICKLE_FIRST_ACTION_ID
    if not 0 <= index < len(H36M_ACTIONS):
        raise ValueError(
            f'unknown Human3.6M action id {action!r}; expected '
            f'{PICKLE_FIRST_ACTION_ID}..'
            f'{PICKLE_FIRST_ACTION_ID + len(H36M_ACTIONS) - 1}')
    return H36M_ACTIONS[index]
