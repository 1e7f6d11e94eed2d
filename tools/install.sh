#!/usr/bin/env bash
# Brings a machine with only Python 3.11 to the full metapose_plugin stack.
# Idempotent: every step checks what is installed and skips what is in place.
# Why each step looks the way it does: README.md, section "Install notes".
# On a machine with CUDA, mmcv's CUDA ops are built too (FORCE_CUDA).
set -euo pipefail

# the interpreter as an absolute path: the checks below run from another folder
PY=$("${PYTHON:-python}" -c 'import sys; print(sys.executable)')
here=$(cd "$(dirname "$0")/.." && pwd)
# every step keeps the pins of constraints.txt (no step may upgrade setuptools)
PIP="$PY -m pip"
export PIP_CONSTRAINT="$here/tools/constraints.txt"

step() { echo "[install] $*"; }
# Checks run from / with PYTHONPATH unset, as a user's notebook or MMPose's own
# tools would: from the checkout, Python's sys.path[0] would find the plugin's
# source folder and hide a missing install.
check() { (cd / && env -u PYTHONPATH "$PY" -c "$1") >/dev/null 2>&1; }

step "build tools (setuptools<81: mmcv's setup.py and mmengine import pkg_resources)"
check "import setuptools, wheel, ninja; assert int(setuptools.__version__.split('.')[0]) < 81" ||
    $PIP install -q "setuptools>=64,<81" wheel six ninja

# The registry's default torch 2.13.0 build carries CUDA libraries and runs on
# a CPU-only machine; torchvision 0.28.0 only imports against it. "===" (PEP 440
# arbitrary equality) skips the local "+cpu" file that pip's find-links prefer.
step "torch 2.13.0 + torchvision 0.28.0"
check "import torch, torchvision.ops; assert torch.__version__.split('+')[0] == '2.13.0' and torch.__version__ != '2.13.0+cpu'" ||
    $PIP install -q "torch===2.13.0" "torchvision==0.28.0"

# Runtime dependencies of mmengine/mmcv/mmpose/mmdet, listed by hand because
# mmpose and mmdet are installed with --no-deps below, and the plugin's own
# (gdown, requests, filelock, pyyaml: the model zoo; tfrecord: the multi-view
# records) plus the tests' (pytest,
# bvhio: the independent BVH reader; open_clip_torch, extra "parity": OpenAI
# CLIP's vocabulary for the MetaPose and FinePOSE parity checks, found, not
# imported, by the check). opencv-python<5: the 2023 OpenMMLab
# releases are untested against OpenCV 5.
step "runtime dependencies"
check "import mmengine, addict, yapf, termcolor, json_tricks, munkres, scipy, h5py, pycocotools, shapely, terminaltables, matplotlib, cv2, PIL, transformers, tensorboard, pytest, gdown, requests, filelock, yaml, bvhio, tfrecord, importlib.util; assert mmengine.__version__ == '0.10.7' and cv2.__version__[0] == '4' and int(gdown.__version__.split('.')[0]) >= 5 and importlib.util.find_spec('open_clip')" ||
    $PIP install -q "mmengine==0.10.7" addict yapf termcolor rich json_tricks munkres scipy h5py \
        pycocotools shapely terminaltables matplotlib opencv-python pillow cython \
        "transformers>=4.40" tensorboard pytest "gdown>=5" requests filelock pyyaml bvhio \
        "tfrecord>=1.14" open_clip_torch

# The extra [anipose] (multi-view MetaPose's AniPose baseline and its tests):
# aniposelib 0.4.3, the reference's version, without its declared
# opencv-contrib-python (a second cv2 over opencv-python's); what it imports
# is installed beside it.
step "aniposelib 0.4.3 (extra [anipose], --no-deps)"
check "import aniposelib.cameras, numba, pandas, toml; from importlib.metadata import version; assert version('aniposelib') == '0.4.3'" || {
    $PIP install -q numba pandas toml tqdm
    $PIP install -q --no-deps "aniposelib==0.4.3"
}

# mmcv with compiled ops (mmcv-lite has none, and mmpose.models needs them),
# built against the torch above: no build isolation, or pip would compile it
# against another torch in a throw-away environment. pip caches the wheel, so
# a reinstall on the same machine does not compile again.
step "mmcv 2.1.0 with ops (compiles on first install: about 25 minutes on 2 cores)"
if ! check "import mmcv, mmcv.ops; assert mmcv.__version__ == '2.1.0'"; then
    export MMCV_WITH_OPS=1 MAX_JOBS=${MAX_JOBS:-$(nproc)}
    if check "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)"; then
        export FORCE_CUDA=1
        export TORCH_CUDA_ARCH_LIST=${TORCH_CUDA_ARCH_LIST:-$($PY -c "import torch; print('%d.%d' % torch.cuda.get_device_capability())")}
    fi
    $PIP install -q --no-build-isolation "mmcv==2.1.0"
fi

# Without their declared requirements: those would replace the pinned torch
# (newest torchvision) and pull chumpy, which does not build under isolation
# and which mmpose never imports.
step "mmpose 1.3.2 and mmdet 3.3.0"
check "import mmpose, mmdet; assert mmpose.__version__ == '1.3.2' and mmdet.__version__ == '3.3.0'" ||
    $PIP install -q --no-deps "mmpose==1.3.2" "mmdet==3.3.0"

# The xtcocotools wheel is compiled against NumPy 1 and fails under NumPy 2.
step "xtcocotools 1.14.3 built against the installed NumPy"
check "import xtcocotools.mask" ||
    $PIP install -q --no-deps --no-binary xtcocotools --no-build-isolation "xtcocotools==1.14.3"

step "metapose_plugin (editable)"
check "import metapose_plugin, os, sys; sys.exit(0 if os.path.samefile(os.path.dirname(metapose_plugin.__file__), '$here/metapose_plugin') else 1)" ||
    $PIP install -q --no-deps --no-build-isolation -e "$here"

step "import check (from /, PYTHONPATH unset)"
(cd / && env -u PYTHONPATH "$PY" -c "import torchvision, mmcv.ops, mmpose.models, mmpose.apis, mmdet.models, xtcocotools.mask, metapose_plugin; print('[install] stack ok')")
