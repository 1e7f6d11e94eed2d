"""The package's import graph, read file by file (docs/design.md, "Layers").

Every import of a ``metapose_plugin`` module is resolved to the module that
defines the imported name (through re-exporting ``__init__`` files), then:

* no edge goes from a top-level subpackage to one of the same or a higher
  layer (:data:`LAYERS`);
* no cycle exists between modules;
* no ``metapose_plugin`` import sits inside a function or class body.
"""
import ast
import importlib.util
from pathlib import Path
from typing import Dict, List, Optional, Set, Tuple

import pytest

#: The package's folder, found without importing it (the installed one when installed).
PACKAGE = Path(importlib.util.find_spec('metapose_plugin').submodule_search_locations[0]).resolve()

#: Layer of each top-level subpackage: imports go to strictly lower layers only.
LAYERS = {
    'version': 0, 'structures': 0,
    'engine': 1,
    'datasets': 2, 'models': 2,
    'evaluation': 3, 'visualization': 3,
    'apis': 4,
    'parity': 5, 'testing': 5,
    'utils': 6,
}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix('').parts
    return '.'.join(parts[:-1] if parts[-1] == '__init__' else parts)


def all_modules() -> Dict[str, Path]:
    return {module_name(p): p for p in PACKAGE.rglob('*.py')}


def absolute(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ''
    base = module.split('.') if is_package else module.split('.')[:-1]
    base = base[:len(base) - node.level + 1]
    return '.'.join(base + ([node.module] if node.module else []))


class ImportGraph:
    """Module -> defining modules it imports, plus nested (function-level) imports."""

    def __init__(self) -> None:
        self.files = all_modules()
        self.trees = {m: ast.parse(p.read_text(), str(p)) for m, p in self.files.items()}
        self.edges: Dict[str, Set[str]] = {}
        self.nested: List[Tuple[str, int, str]] = []
        for module, tree in self.trees.items():
            self.edges[module] = set()
            for node, top in self._imports(tree):
                for target in self._targets(module, node):
                    self.edges[module].add(target)
                    if not top:
                        self.nested.append((module, node.lineno, target))

    @staticmethod
    def _imports(tree: ast.Module):
        top = set(id(n) for n in tree.body)
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                yield node, id(node) in top or _in_top_level_try(tree, node)

    def _targets(self, module: str, node) -> List[str]:
        is_package = self.files[module].name == '__init__.py'
        if isinstance(node, ast.Import):
            return [self.define(a.name) for a in node.names
                    if a.name.startswith('metapose_plugin')]
        source = absolute(module, is_package, node)
        if not source.startswith('metapose_plugin'):
            return []
        targets = []
        for alias in node.names:
            if f'{source}.{alias.name}' in self.files:
                targets.append(self.define(f'{source}.{alias.name}'))
            else:
                targets.append(self.define(source, alias.name))
        return [t for t in targets if t != module]

    def define(self, module: str, name: Optional[str] = None) -> str:
        """The module defining ``name`` of ``module`` (following re-exports)."""
        if name is None or module not in self.files or self.files[module].name != '__init__.py':
            return module
        for node in self.trees[module].body:
            if isinstance(node, ast.ImportFrom) and any(
                    (a.asname or a.name) == name for a in node.names):
                source = absolute(module, True, node)
                if f'{source}.{name}' in self.files:
                    return f'{source}.{name}'
                return self.define(source, name)
        return module


def _in_top_level_try(tree: ast.Module, node) -> bool:
    for stmt in tree.body:
        if isinstance(stmt, ast.Try) and any(node is n for n in ast.walk(stmt)):
            return True
    return False


def top_package(module: str) -> Optional[str]:
    parts = module.split('.')
    return parts[1] if len(parts) > 1 else None


@pytest.fixture(scope='module')
def graph() -> ImportGraph:
    return ImportGraph()


def test_every_subpackage_has_a_layer(graph):
    packages = {top_package(m) for m in graph.files} - {None}
    assert packages <= set(LAYERS), f'add a layer for {sorted(packages - set(LAYERS))}'


def test_imports_go_down_the_layers_only(graph):
    back = []
    for module, targets in graph.edges.items():
        own = top_package(module)
        if own is None:
            continue  # the root __init__ imports everything to register it
        for target in targets:
            other = top_package(target)
            if other is None or other == own:
                continue
            if LAYERS[other] >= LAYERS[own]:
                back.append(f'{module} -> {target}')
    assert not back, 'imports to a same or higher layer:\n' + '\n'.join(sorted(back))


def test_no_import_cycle(graph):
    # Tarjan's strongly connected components on the defining-module graph
    # (package __init__ files are transparent: their re-exports were resolved)
    index, low, stack, on_stack, cycles = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.edges.get(node, ()):
            if graph.files.get(nxt, Path()).name == '__init__.py':
                continue
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for module in graph.files:
        if graph.files[module].name != '__init__.py' and module not in index:
            visit(module)
    assert not cycles, f'import cycles: {cycles}'


def test_no_function_level_import_of_the_plugin(graph):
    assert not graph.nested, 'imports inside functions: ' + ', '.join(
        f'{m}:{line} -> {t}' for m, line, t in graph.nested)


def test_checker_sees_a_back_edge(tmp_path, monkeypatch):
    """The checker itself: a structures module importing models is caught."""
    fake = tmp_path / 'metapose_plugin'
    (fake / 'structures').mkdir(parents=True)
    (fake / 'models').mkdir()
    for folder in (fake, fake / 'structures', fake / 'models'):
        (folder / '__init__.py').write_text('')
    (fake / 'models' / 'block.py').write_text('X = 1\n')
    (fake / 'structures' / 'ops.py').write_text(
        'from ..models.block import X\n\ndef f():\n    from metapose_plugin.models import block\n')
    monkeypatch.setattr(__import__(__name__), 'PACKAGE', fake)
    fake_graph = ImportGraph()
    assert fake_graph.edges['metapose_plugin.structures.ops'] == {'metapose_plugin.models.block'}
    assert fake_graph.nested == [('metapose_plugin.structures.ops', 4,
                                  'metapose_plugin.models.block')]
    with pytest.raises(AssertionError, match='structures.ops -> metapose_plugin.models.block'):
        test_imports_go_down_the_layers_only(fake_graph)
