"""The fork-based maps the poster pages are built and checked with."""

from __future__ import annotations

import threading

import pytest

from qrproc.poster.workers import balanced_chunks, fork_map, fork_map_async


def test_each_pool_runs_its_own_work_when_two_threads_start_pools_at_once():
    """Two print jobs on the desk run in two threads; the workers take their work from a global
    at fork time, so one pool must never run the other's."""
    results: dict[str, list] = {}
    start = threading.Barrier(8)

    def job(tag: str, asynchronous: bool):
        start.wait(10)
        for _ in range(5):
            work = (lambda i, tag=tag: (tag, i))
            if asynchronous:
                with fork_map_async(work, 6, 2) as got:
                    out = got()
            else:
                with fork_map(work, 6, 2) as got:
                    out = list(got)
            results.setdefault(tag, []).append(out)

    threads = [threading.Thread(target=job, args=(f"job{k}", k % 2 == 0)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert sorted(results) == [f"job{k}" for k in range(8)]
    for tag, runs in results.items():
        assert runs == [[(tag, i) for i in range(6)]] * 5


def test_one_worker_runs_in_this_process_in_order():
    with fork_map_async(lambda i: i * i, 4, 1) as got:
        assert got() == [0, 1, 4, 9]
    with fork_map(lambda i: -i, 3, 1) as got:
        assert list(got) == [0, -1, -2]


def test_ending_a_pool_prints_nothing_when_the_parent_turns_sigterm_into_an_interrupt():
    """`qrproc serve` raises KeyboardInterrupt on SIGTERM; forked workers inherited that, and
    the SIGTERM a pool ends its workers with printed a traceback per worker on the desk's
    console."""
    import subprocess
    import sys

    script = (
        "import signal, time\n"
        "from qrproc.poster.workers import fork_map\n"
        "def stop(signum, frame):\n"
        "    raise KeyboardInterrupt\n"
        "signal.signal(signal.SIGTERM, stop)\n"
        "for k in range(5):\n"
        "    with fork_map(lambda i: i, 4, 2) as got:\n"
        "        assert list(got) == [0, 1, 2, 3]\n"
        "        time.sleep(0.2)\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0 and done.stderr == ""


@pytest.mark.parametrize("weights, n", [
    ([7] * 57, 8),  # a commune board's grid pages: cut by page count it was 7 tasks of 8 and 1
    ([0, 0, 3, 7, 7, 7, 2, 7, 7, 7, 1, 0], 4),  # contents pages, a field's last page
    ([1] * 5, 9),  # more tasks asked for than pages
    ([0, 0, 0], 2),  # nothing to weigh: by count
    ([5], 3),
])
def test_balanced_chunks_cover_every_index_once_in_tasks_of_about_equal_work(weights, n):
    chunks = balanced_chunks(weights, n)
    assert [i for r in chunks for i in r] == list(range(len(weights)))
    assert all(len(r) > 0 for r in chunks) and len(chunks) <= n
    sums = [sum(weights[i] for i in r) for r in chunks]
    if sum(weights):
        # each task within one item's weight of an equal share
        share = sum(weights) / len(chunks)
        assert all(abs(s - share) <= max(weights) for s in sums), sums
    assert len(chunks) == min(n, len(weights))


def test_balanced_chunks_of_a_board_leave_no_worker_a_seventh_of_the_work_alone():
    sums = [len(r) * 7 for r in balanced_chunks([7] * 57, 8)]
    assert max(sums) - min(sums) <= 7 and len(sums) == 8
    assert balanced_chunks([], 4) == []
