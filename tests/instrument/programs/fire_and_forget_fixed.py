import asyncio

background = set()
errors = []


def report(task):
    background.discard(task)
    if not task.cancelled() and task.exception() is not None:
        errors.append(task.exception())


async def boom():
    await asyncio.sleep(0.01)
    raise ValueError("seen")


async def main():
    task = asyncio.create_task(boom())
    background.add(task)
    task.add_done_callback(report)
    await asyncio.sleep(0.5)
    return len(errors)
