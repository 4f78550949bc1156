"""Imported by argv_and_helper.py from its own folder (sys.path[0])."""


def greet(name):
    return f"hello {name}"
