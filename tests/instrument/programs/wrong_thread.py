import asyncio

from loopviz.instrument.report import check_ui_thread


def update_label():
    return check_ui_thread("label.setText")  # <- culprit


async def main():
    on_ui = update_label()
    off_ui = await asyncio.to_thread(update_label)
    return on_ui, off_ui
