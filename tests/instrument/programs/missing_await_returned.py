import asyncio


async def save():
    await asyncio.sleep(0.01)


def prepare():
    pending = save()  # noqa: F841  <- culprit
    return len("kept in a local that dies with this frame")


async def main():
    prepare()
    await asyncio.sleep(0.1)
