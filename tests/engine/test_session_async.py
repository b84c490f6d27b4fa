"""AsyncSession against the live servers and SQLite: the same API as coroutines, run by the
asyncio driver over the same operation generators."""

from __future__ import annotations

import asyncio

import pytest

from engine import connect_async, errors
from tests.engine.sessionchecks import with_password, with_query


def run(coro):
    return asyncio.run(coro)


async def cancel_when(session, probe_url: str, running_sql: str) -> bool:
    """Cancel once another connection sees the statement running."""
    async with connect_async(probe_url) as watcher:
        for _ in range(500):
            if (await watcher.query(running_sql)).scalar() == 1:
                break
            await asyncio.sleep(0.02)
    return await session.cancel()


@pytest.mark.parametrize("which", ["pg", "mariadb"])
def test_async_round_trip_tls_cancel_and_stream(which, request, test_ca_file):
    url = request.getfixturevalue("pg_scram_url" if which == "pg" else "mariadb_url")
    sleep_sql = "SELECT pg_sleep(30)" if which == "pg" else "SELECT SLEEP(30)"
    series = (
        "SELECT i FROM generate_series(1, 250000) AS i"
        if which == "pg"
        else "SELECT seq FROM seq_1_to_250000"
    )
    verified = with_query(url, f"sslmode=verify-full&sslrootcert={test_ca_file}")

    async def main():
        async with connect_async(verified) as s:
            assert s.server["tls"]["verified"] is True
            await s.ping()
            res = await s.query("SELECT 1 AS one, 'two' AS two")
            assert res.rows == [(1, "two")]
            assert res.column_names == ["one", "two"]
            with pytest.raises(errors.ServerError):
                await s.query("SELECT * FROM no_such_table_anywhere")
            if which == "mariadb":
                await s.use("mysql")
                assert (await s.query("SELECT DATABASE()")).scalar() == "mysql"
            total = 0
            async for (value,) in s.stream(series):
                total += value
            assert total == 250000 * 250001 // 2
            stream = s.stream(series)
            assert await stream.__anext__() == (1,)
            await stream.aclose()

            tid = s.server["thread_id"]
            probe = (
                f"SELECT count(*) FROM pg_stat_activity WHERE pid = {tid} AND state = 'active'"
                if which == "pg"
                else "SELECT COUNT(*) FROM information_schema.PROCESSLIST "
                f"WHERE ID = {tid} AND INFO LIKE 'SELECT SLEEP%'"
            )
            canceller = asyncio.create_task(cancel_when(s, url, probe))
            with pytest.raises(errors.QueryCanceled):
                await s.query(sleep_sql)
            assert await canceller is True
            assert (await s.query("SELECT 7")).scalar() == 7

    run(main())


def test_async_wrong_password(pg_scram_url):
    async def main():
        with pytest.raises(errors.AuthError):
            await connect_async(with_password(pg_scram_url, "wrong-password-for-sure"))

    run(main())


def test_async_sqlite(tmp_path):
    async def main():
        s = await connect_async(f"sqlite:///{tmp_path}/a.db")
        try:
            await s.execute("CREATE TABLE t (x INTEGER)")
            assert await s.execute("INSERT INTO t VALUES (1), (2), (3)") == 3
            assert (await s.query("SELECT sum(x) FROM t")).scalar() == 6
            got = [row async for row in s.stream("SELECT x FROM t ORDER BY x")]
            assert got == [(1,), (2,), (3,)]
            assert s.server["version"]
        finally:
            await s.close()
        assert s.closed

    run(main())
