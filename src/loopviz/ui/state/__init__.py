"""The window's state as plain models, free of Qt (an import-linter contract keeps them so):
the time cursor and the replay's clock. Views observe them; tests drive them headless."""
