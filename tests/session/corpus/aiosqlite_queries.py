"""aiosqlite: a table written and queried by three readers at once."""
import asyncio

import aiosqlite


async def main():
    async with aiosqlite.connect(":memory:") as db:
        await db.execute("create table numbers (n integer, square integer)")
        await db.executemany("insert into numbers values (?, ?)",
                             [(i, i * i) for i in range(200)])
        await db.commit()
        async with db.execute("select count(*), sum(square) from numbers") as cursor:
            print("rows, sum of squares:", tuple(await cursor.fetchone()))

        async def total_from(low):
            async with db.execute("select sum(n) from numbers where n >= ?", (low,)) as cursor:
                return (await cursor.fetchone())[0]

        print("totals:", await asyncio.gather(*(total_from(low) for low in (0, 100, 190))))


asyncio.run(main())
