from . import bench_trivial_row  # noqa: F401
