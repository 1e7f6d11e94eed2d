from . import (backbones, converters, heads, language_models, layers, losses,  # noqa: F401
               necks, pose_estimators, weight_init)
