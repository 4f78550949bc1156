"""A command-line program: its arguments, a helper module beside it, the __main__ guard."""
import argparse
import asyncio
import sys

import corpus_helper


async def main(names, repeat):
    for name in names:
        for _ in range(repeat):
            await asyncio.sleep(0.001)
            print(corpus_helper.greet(name))


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("names", nargs="+")
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    print("argv:", sys.argv[1:], "module:", __name__)
    asyncio.run(main(args.names, args.repeat))
