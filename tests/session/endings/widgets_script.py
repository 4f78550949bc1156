import asyncio

from PySide6.QtWidgets import QLabel


async def main():
    label = QLabel("made by the script")
    label.show()
    await asyncio.sleep(0.05)
    text = label.text()
    label.close()
    return text
