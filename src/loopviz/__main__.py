"""``python -m loopviz``: the same as the ``loopviz`` console script."""

from loopviz.cli import main

raise SystemExit(main())
