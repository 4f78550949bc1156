import signal


async def main():
    signal.signal(signal.SIGUSR1, lambda *a: None)
    while True:  # <- where
        pass
