import asyncio

from loopviz.instrument.report import check_ui_thread


def worker(times):
    for _ in range(times):
        check_ui_thread("label.setText")  # <- culprit
    check_ui_thread("progress.setValue")  # a second site


async def main():
    await asyncio.to_thread(worker, 292)
