from mmpose.utils import register_all_modules as register_mmpose_modules

# importing these registers the plugin's components in MMPose's registries
from metapose_plugin import apis, datasets, engine, evaluation, models, visualization  # noqa: F401


def register_all_modules(init_default_scope: bool = True) -> None:
    """Register MMPose's and this plugin's modules in MMPose's registries.

    Mirrors :func:`mmpose.utils.register_all_modules`: the plugin registers
    into the ``mmpose`` scope (its modules were registered when this module
    was imported), so after this call a config can refer to both MMPose's
    components and ours by their class names.

    Args:
        init_default_scope (bool): Whether to set the default scope to
            ``'mmpose'`` (done by MMPose's function). Defaults to True.
    """
    register_mmpose_modules(init_default_scope=init_default_scope)
