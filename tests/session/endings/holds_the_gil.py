async def main():
    return sum(range(10**11))  # <- where
