# The asyncio documentation's TCP echo server (on a port the system chooses): idle in
# serve_forever under the program's own asyncio.run when the time limit strikes.
import asyncio


async def handle_echo(reader, writer):
    data = await reader.read(100)
    writer.write(data)
    await writer.drain()
    writer.close()
    await writer.wait_closed()


async def main():
    server = await asyncio.start_server(handle_echo, '127.0.0.1', 0)
    async with server:
        await server.serve_forever()  # <- where

asyncio.run(main())
