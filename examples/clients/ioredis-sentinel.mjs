import { Redis } from 'ioredis';

const redis = new Redis({
  sentinels: process.env.REDIS_SENTINELS.split(',').map((address) => {
    const [host, port] = address.split(':');
    return { host, port: Number(port) };
  }),
  name: 'mymaster',
  sentinelPassword: process.env.SENTINEL_PASSWORD,
  username: 'app',
  password: process.env.REDIS_PASSWORD,
});
redis.on('error', (e) => console.error('reconnecting:', e.message));

setInterval(() => {
  redis.incr('visits').then(
    (n) => console.log('visits', n),
    (e) => console.error('retrying:', e.message),
  );
}, 250);
