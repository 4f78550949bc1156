import asyncio


async def main():
    while True:
        try:
            await asyncio.sleep(10)  # <- where
        except asyncio.CancelledError:
            pass  # and goes on
