import { createClient } from 'redis';

const client = createClient({
  socket: { host: process.env.REDIS_HOST, port: Number(process.env.REDIS_PORT) },
  username: 'app',
  password: process.env.REDIS_PASSWORD,
});
client.on('error', (e) => console.error('reconnecting:', e.message));
await client.connect();

setInterval(() => {
  client.incr('visits').then(
    (n) => console.log('visits', n),
    (e) => console.error('retrying:', e.message),
  );
}, 250);
