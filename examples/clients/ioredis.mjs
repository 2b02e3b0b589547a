import { Redis } from 'ioredis';

const redis = new Redis({
  host: process.env.REDIS_HOST,
  port: Number(process.env.REDIS_PORT),
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
