"""The throwaway Redis answers on loopback."""

from __future__ import annotations

import uuid

import redis


def test_redis_pings_and_round_trips_a_value(redis_url):
    client = redis.Redis.from_url(redis_url, socket_timeout=10)
    try:
        assert client.ping() is True
        key = f"nublox-test-{uuid.uuid4().hex}"
        client.set(key, "value", ex=60)
        assert client.get(key) == b"value"
        assert client.info("server")["redis_version"].split(".")[0] >= "7"
    finally:
        client.close()
