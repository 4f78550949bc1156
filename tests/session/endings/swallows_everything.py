import asyncio


async def main():
    while True:
        try:
            while True:  # <- where
                pass
        except BaseException:
            await asyncio.sleep(0)
