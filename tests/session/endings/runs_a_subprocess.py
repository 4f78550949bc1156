import asyncio
import sys


async def main():
    proc = await asyncio.create_subprocess_exec(sys.executable, "-c", "print(1)",
                                                stdout=asyncio.subprocess.PIPE)
    out, _ = await proc.communicate()
    await asyncio.sleep(0.01)
    return out
