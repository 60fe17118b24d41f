"""The Python side of compare-python.sh: Python UltraDict 0.0.6 doing what BenchmarkWorker's
`compare` does in Swift, printed as `operation<TAB>nanoseconds per operation`."""
import multiprocessing
import random
import time
import timeit

from UltraDict import UltraDict


def name():
    return f"udcompare_py_{random.getrandbits(32):08x}"


def per_op(statement, number, **names):
    return timeit.timeit(statement, globals=names, number=number) / number * 1e9


def report(operation, nanoseconds):
    print(f"{operation}\t{nanoseconds:.1f}", flush=True)


def increment(dict_name, times):
    d = UltraDict(name=dict_name, shared_lock=True)
    for _ in range(times):
        with d.lock:
            d["counter"] += 1


def main():
    plain = {i: i for i in range(10_000)}
    report("read_plain", per_op("d[1]", 1_000_000, d=plain))

    d = UltraDict(plain, name=name())
    report("read", per_op("d[1]", 200_000, d=d))
    report("write_int", per_op("d[1] = 1", 20_000, d=d))
    d.unlink()

    shared = UltraDict(plain, name=name(), shared_lock=True)
    report("write_int_shared_lock", per_op("d[1] = 1", 5_000, d=shared))
    shared.unlink()

    strings = UltraDict(name=name())
    report("write_1kb_string", per_op("d[1] = s", 10_000, d=strings, s="x" * 1024))
    strings.unlink()

    for size in (1_000, 100_000):
        fresh = UltraDict({i: i for i in range(size)}, name=name())
        counter = iter(range(size, size * 100))
        report(f"fresh_key_write_{size}", per_op("d[next(c)] = 1", 20_000, d=fresh, c=counter))
        fresh.unlink()

    counter = UltraDict({"counter": 0}, name=name(), shared_lock=True)
    start = time.monotonic()
    workers = [multiprocessing.Process(target=increment, args=(counter.name, 25_000)) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed = time.monotonic() - start
    assert counter["counter"] == 100_000, counter["counter"]
    report("locked_counter_4x25000", elapsed * 1e9)
    counter.unlink()


if __name__ == "__main__":
    main()
