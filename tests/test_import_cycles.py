"""No import cycles among loopviz's modules, counting every import: module-level, lazy ones inside
functions, and ``if TYPE_CHECKING:`` ones. A cycle hidden behind a lazy import is still a
cycle in the design (neither module can be understood, tested or moved without the other), and
the layers contract in pyproject.toml only sees cycles *between* layers.

The graph is grimp's (import-linter's own graph library): it parses every ``.py`` file of the
package, including imports inside functions and under ``TYPE_CHECKING`` (we build it with
``exclude_type_checking_imports=False``, its default, said out loud).
"""

from __future__ import annotations

import grimp

PACKAGE = "loopviz"


def _graph() -> grimp.ImportGraph:
    return grimp.build_graph(PACKAGE, exclude_type_checking_imports=False, cache_dir=None)


def _edges(graph: grimp.ImportGraph) -> dict[str, set[str]]:
    """Module → the loopviz modules it imports.

    One correction: grimp only knows ``.py`` modules, so an import of the C extension
    ``loopviz._speedups`` (``import loopviz._speedups``) is attributed to its parent package,
    ``loopviz``, as if it ran ``loopviz/__init__.py``'s imports. It does not: the extension is
    a leaf (it imports no module of loopviz's), so such an edge is dropped, and only when
    every import statement behind it names the extension."""
    edges: dict[str, set[str]] = {}
    for module in graph.modules:
        targets = set(graph.find_modules_directly_imported_by(module))
        for target in list(targets):
            details = graph.get_import_details(importer=module, imported=target)
            if details and all(_names_extension(target, d["line_contents"]) for d in details):
                targets.discard(target)
        edges[module] = targets
    return edges


def _names_extension(package: str, line: str) -> bool:
    return f"import {package}._speedups" in line


def import_cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Concrete cycles covering every module that is in one: the strongly connected components
    with more than one module (Tarjan), and in each, shortest cycles through its modules until
    every one of them is named in some cycle. Sorted, for a stable message."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def visit(v: str) -> None:  # recursion depth is bounded by the number of modules (~150)
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for module in sorted(edges):
        if module not in index:
            visit(module)
    cycles: list[list[str]] = []
    for component in components:
        named: set[str] = set()
        for module in component:
            if module not in named:
                cycle = _shortest_cycle(module, set(component), edges)
                named.update(cycle)
                if cycle not in cycles:
                    cycles.append(cycle)
    return sorted(cycles)


def _shortest_cycle(start: str, members: set[str], edges: dict[str, set[str]]) -> list[str]:
    """A shortest path from ``start`` back to itself within ``members`` (breadth first)."""
    previous: dict[str, str] = {}
    frontier = [start]
    while frontier:
        nxt = []
        for v in frontier:
            for w in sorted(edges[v] & members):
                if w == start:
                    path = [v]
                    while path[-1] != start:
                        path.append(previous[path[-1]])
                    return [*reversed(path), start]
                if w not in previous:
                    previous[w] = v
                    nxt.append(w)
        frontier = nxt
    raise AssertionError(f"no cycle through {start}")  # a component always has one


def test_no_module_of_loopviz_takes_part_in_an_import_cycle():
    cycles = import_cycles(_edges(_graph()))
    assert not cycles, "import cycles (lazy and TYPE_CHECKING imports count):\n" + "\n".join(
        "  " + " -> ".join(cycle) for cycle in cycles)


def test_the_cycle_finder_names_a_lazy_cycle_and_ignores_a_chain():
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    assert import_cycles(edges) == [["a", "b", "c", "a"]]
    assert import_cycles({"a": {"b"}, "b": set()}) == []


def test_a_cycle_hidden_behind_a_lazy_and_a_type_checking_import_is_found(tmp_path, monkeypatch):
    """The check is only as good as its graph: both hidden kinds of import must be in it."""
    pkg = tmp_path / "cyclepkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "low.py").write_text("def f():\n    from cyclepkg.high import g\n    return g\n")
    (pkg / "high.py").write_text("from typing import TYPE_CHECKING\n"
                                 "if TYPE_CHECKING:\n    from cyclepkg.low import f\n"
                                 "def g():\n    return 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    graph = grimp.build_graph("cyclepkg", exclude_type_checking_imports=False, cache_dir=None)
    assert import_cycles(_edges(graph)) == [["cyclepkg.high", "cyclepkg.low", "cyclepkg.high"]]
