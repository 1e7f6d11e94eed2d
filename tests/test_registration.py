"""The plugin registers every component in MMPose's registries, reachable
from a config through custom_imports, as users run plugins."""
import subprocess
import sys

import pytest
from mmpose.registry import (DATASETS, HOOKS, INFERENCERS, METRICS, MODELS, TRANSFORMS,
                             VISUALIZERS)

import metapose_plugin

COMPONENTS = [
    (MODELS, 'HRNetContextEncoder'),
    (MODELS, 'CLIPJointPromptEncoder'),
    (MODELS, 'CAPFContextNeck'),
    (MODELS, 'SpatialEnhancer'),
    (MODELS, 'SemanticEnhancer'),
    (MODELS, 'TransformationAlignment'),
    (MODELS, 'MetaPoseNeck'),
    (MODELS, 'ContextLiftingHead'),
    (MODELS, 'ContextPoseLifter'),
    (DATASETS, 'H36MImageDataset'),
    (TRANSFORMS, 'LoadPersonCrop'),
    (TRANSFORMS, 'RandomFlipImageLifting'),
    (METRICS, 'H36MMetric'),
    (HOOKS, 'AtomicCheckpointHook'),
    (INFERENCERS, 'MetaPose3DInferencer'),
    (INFERENCERS, 'metapose-3d'),
    (VISUALIZERS, 'MetaPose3dLocalVisualizer'),
]


@pytest.mark.parametrize('registry, name', COMPONENTS, ids=[c[1] for c in COMPONENTS])
def test_component_is_registered_in_mmpose_scope(registry, name):
    assert registry.scope == 'mmpose'
    assert registry.get(name) is not None, f'{name} not in mmpose {registry.name}'


def test_custom_imports_alone_registers_the_plugin(tmp_path):
    """A fresh interpreter that imports nothing of ours resolves our
    components after reading a config with custom_imports."""
    config = tmp_path / 'cfg.py'
    config.write_text("custom_imports = dict(imports=['metapose_plugin'], "
                      'allow_failed_imports=False)\n')
    code = ('import sys\n'
            'from mmengine.config import Config\n'
            'from mmpose.registry import MODELS, METRICS\n'
            'assert "metapose_plugin" not in sys.modules\n'
            f'Config.fromfile({str(config)!r})\n'
            'assert MODELS.get("ContextPoseLifter") is not None\n'
            'assert METRICS.get("H36MMetric") is not None\n'
            'print("resolved")\n')
    proc = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert 'resolved' in proc.stdout


def test_version_and_register_all_modules():
    assert metapose_plugin.__version__
    metapose_plugin.register_all_modules(init_default_scope=True)
    from mmengine.registry import DefaultScope
    assert DefaultScope.get_current_instance().scope_name == 'mmpose'
