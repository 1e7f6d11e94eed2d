from . import (backbones, heads, language_models, necks,  # noqa: F401
               pose_estimators)
