"""The desktop app: the only package that builds widgets (PySide6 + pyqtgraph).

Import submodules directly (``loopviz.ui.timeline``, ``loopviz.ui.palette``): this module stays
empty so that importing one view does not pull in the whole window.
"""
