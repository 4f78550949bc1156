"""Watching a program that is already running: it serves its live trace
(:class:`~loopviz.remote.serving.Serving`, ``loopviz.serve()``), viewers attach to it
(:class:`~loopviz.remote.client.Attachment`). Headless and Qt-free: the GUI's attach view
lives in ``loopviz.ui``. The wire is documented in :mod:`loopviz.export.wire`."""
