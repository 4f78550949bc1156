"""A pipeline of two child processes joined by the parent (producer | upper-caser), and a
third child whose end the parent waits for."""
import asyncio
import sys

PRODUCER = "for i in range(5): print(f'line {i}', flush=True)"
UPPER = "import sys\nfor line in sys.stdin: print(line.strip().upper(), flush=True)"
SLOW = "import time; time.sleep(0.2)"


async def pump(source, sink):
    while line := await source.readline():
        sink.write(line)
        await sink.drain()
    sink.close()
    await sink.wait_closed()


async def main():
    producer = await asyncio.create_subprocess_exec(
        sys.executable, "-c", PRODUCER, stdout=asyncio.subprocess.PIPE)
    upper = await asyncio.create_subprocess_exec(
        sys.executable, "-c", UPPER, stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE)
    pumping = asyncio.create_task(pump(producer.stdout, upper.stdin), name="pump")
    lines = []
    while line := await upper.stdout.readline():
        lines.append(line.decode().strip())
    await pumping
    print("exit codes:", await producer.wait(), await upper.wait())
    slow = await asyncio.create_subprocess_exec(sys.executable, "-c", SLOW)
    print("the slow one:", await slow.wait())
    print("\n".join(lines))


asyncio.run(main())
