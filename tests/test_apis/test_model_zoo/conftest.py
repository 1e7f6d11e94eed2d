"""A local reference server and model index for the model zoo tests.

Nothing here reaches the internet: the tests write reference-layout
checkpoints with random weights, serve them from 127.0.0.1 and point the zoo
at an index of their own (``$METAPOSE_MODEL_INDEX``) whose URLs name that
server; the cache goes to a temporary ``$TORCH_HOME``.
"""
import collections
import io
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Dict, List

import pytest
import torch
import yaml


class ReferenceServer:
    """Serves ``files`` (path -> bytes) over HTTP on 127.0.0.1.

    Attributes:
        requests (Counter): GET count per path.
        html (set): Paths answered with an HTML page (a quota page) instead.
        short (set): Paths whose body stops before its Content-Length.
        delay (float): Seconds to wait before answering.
    """

    def __init__(self) -> None:
        self.files: Dict[str, bytes] = {}
        self.requests = collections.Counter()
        self.html, self.short = set(), set()
        self.delay = 0.0
        server = self

        class Handler(BaseHTTPRequestHandler):

            def do_GET(self):  # noqa: N802 (http.server's name)
                server.requests[self.path] += 1
                time.sleep(server.delay)
                if self.path not in server.files:
                    self.send_error(404, 'Not Found')
                    return
                body = server.files[self.path]
                if self.path in server.html:
                    body = b'<!DOCTYPE html><html><body>Quota exceeded</body></html>'
                self.send_response(200)
                extra = 1000 if self.path in server.short else 0
                self.send_header('Content-Length', str(len(body) + extra))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(('127.0.0.1', 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f'http://127.0.0.1:{self.httpd.server_address[1]}{path}'

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    reference = ReferenceServer()
    yield reference
    reference.close()


@pytest.fixture
def zoo_home(tmp_path, monkeypatch):
    """A fresh cache ($TORCH_HOME); returns a function writing the index."""
    monkeypatch.setenv('TORCH_HOME', str(tmp_path / 'torch_home'))

    def write_index(models: List[dict]) -> str:
        folder = tmp_path / 'index'
        folder.mkdir(exist_ok=True)
        collections_ = sorted({m['In Collection'] for m in models})
        (folder / 'zoo.yml').write_text(yaml.safe_dump(dict(
            Collections=[dict(Name=c, Paper=dict(Title=c, URL='https://example.org'),
                              README='https://example.org') for c in collections_],
            Models=models)))
        (folder / 'model-index.yml').write_text(yaml.safe_dump(dict(Import=['zoo.yml'])))
        monkeypatch.setenv('METAPOSE_MODEL_INDEX', str(folder / 'model-index.yml'))
        return str(folder / 'model-index.yml')

    return write_index


def zoo_model(alias: str, config: str, url: str, converter: str, **converted) -> dict:
    """A metafile model entry."""
    return {'Name': alias + '_name', 'Alias': alias, 'In Collection': 'Test', 'Config': config,
            'Metadata': {'Training Data': 'none'}, 'Weights': url,
            'Converted From': dict(Converter=converter, **converted)}


def saved(checkpoint: dict) -> bytes:
    buffer = io.BytesIO()
    torch.save(checkpoint, buffer)
    return buffer.getvalue()


# our CA-PF names -> the reference's ``volume_net`` names (the converter's
# table read backwards)
_CAPF_BACK = (
    (r'neck\.pos_embed', r'Spatial_pos_embed'),
    (r'neck\.(coord_embed|feat_embed)\.(.*)', r'\1.\2'),
    (r'neck\.blocks\.(\d+)\.attn\.(.*)', r'context_blocks.\1.\2'),
    (r'neck\.blocks\.(\d+)\.(.*)', r'context_blocks.\1.\2'),
    (r'head\.scale_blocks\.(.*)', r'res_blocks.\1'),
    (r'head\.joint_blocks\.(.*)', r'joint_blocks.\1'),
    (r'head\.final_norm\.(.*)', r'head.0.\1'),
    (r'head\.fc\.(.*)', r'head.1.\1'),
)


def capf_reference_checkpoint(state_dict: Dict[str, torch.Tensor]) -> dict:
    """Our CA-PF lifter state -> the reference's ``best_epoch.bin`` layout
    (``{'model': ...}``, DataParallel ``module.``, ``volume_net.``)."""
    model = {}
    for key, value in state_dict.items():
        if key.startswith('backbone.'):
            model['module.' + key] = value
            continue
        for pattern, replacement in _CAPF_BACK:
            if re.fullmatch(pattern, key):
                model['module.volume_net.' + re.sub(f'^{pattern}$', replacement, key)] = value
                break
        else:
            raise KeyError(key)
    return dict(model=model, epoch=60)


def hrnet_original_checkpoint(state_dict: Dict[str, torch.Tensor]) -> dict:
    """MMPose top-down HRNet state -> the original repository's layout."""
    return {k[len('backbone.'):] if k.startswith('backbone.') else
            k.replace('head.final_layer.', 'final_layer.'): v for k, v in state_dict.items()}
