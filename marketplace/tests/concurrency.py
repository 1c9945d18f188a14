"""Real threads against Postgres for the race tests of every app."""

import threading

from django.db import close_old_connections, connection


def run_together(count, work):
    """Run work(i) in `count` threads released at once by one barrier; return what each
    thread got, a result or the exception it raised. Each thread closes its connection."""
    barrier = threading.Barrier(count)
    results = [None] * count

    def runner(i):
        try:
            barrier.wait()
            results[i] = work(i)
        except Exception as error:  # noqa: BLE001 - the test inspects what each thread got
            results[i] = error
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=runner, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results
