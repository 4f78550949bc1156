import asyncio

from PySide6.QtCore import QObject


def make_child(parent):
    return QObject(parent)  # <- culprit


async def main():
    parent = QObject()
    await asyncio.to_thread(make_child, parent)
