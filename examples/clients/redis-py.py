import os
import time

import redis

r = redis.Redis(
    host=os.environ["REDIS_HOST"],
    port=int(os.environ["REDIS_PORT"]),
    username="app",
    password=os.environ["REDIS_PASSWORD"],
)
while True:
    try:
        print("visits", r.incr("visits"), flush=True)
    except redis.RedisError as e:
        print("retrying:", e, flush=True)
    time.sleep(0.25)
