"""Shared by the benchmarks: the best wall time of repeated runs (warm caches, least noise)."""
import time


def best_of(fn, repeats: int = 3) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)
