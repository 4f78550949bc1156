"""Every way to run a loop: asyncio.Runner, run_until_complete, and run_forever with stop."""
import asyncio


async def tick(name, n):
    for _ in range(n):
        await asyncio.sleep(0.005)
    print(name)
    return n


with asyncio.Runner() as runner:
    print(runner.run(tick("runner, first", 2)), runner.run(tick("runner, second", 3)))

loop = asyncio.new_event_loop()
asyncio.set_event_loop(loop)
print(loop.run_until_complete(tick("run_until_complete", 4)))
loop.create_task(tick("run_forever", 2))
loop.call_later(0.1, loop.stop)
loop.run_forever()
loop.close()
asyncio.set_event_loop(None)
