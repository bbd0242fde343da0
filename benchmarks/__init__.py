


def parallel_sweep(prog, doc, run, items, argv=None, chunksize=4):
    """The sweeps' shared command line (--jobs) and pool: run(item) for every item, in
    order, in that many processes."""
    import argparse
    from concurrent.futures import ProcessPoolExecutor

    parser = argparse.ArgumentParser(prog="python -m " + prog, description=doc.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=2, help="worker processes (default: 2)")
    args = parser.parse_args(argv)
    with ProcessPoolExecutor(args.jobs) as pool:
        return list(pool.map(run, list(items), chunksize=chunksize))
