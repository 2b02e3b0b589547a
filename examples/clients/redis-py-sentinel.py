import os
import time

import redis
from redis.sentinel import Sentinel

sentinels = [
    (host, int(port))
    for host, port in (a.split(":") for a in os.environ["REDIS_SENTINELS"].split(","))
]
sentinel = Sentinel(
    sentinels,
    sentinel_kwargs={"password": os.environ["SENTINEL_PASSWORD"]},
    username="app",
    password=os.environ["REDIS_PASSWORD"],
)
r = sentinel.master_for("mymaster")
while True:
    try:
        print("visits", r.incr("visits"), flush=True)
    except redis.RedisError as e:
        print("retrying:", e, flush=True)
    time.sleep(0.25)
