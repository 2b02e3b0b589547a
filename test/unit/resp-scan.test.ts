import { test } from 'node:test';
import assert from 'node:assert/strict';
import { frameArgs, ReplyScanner, scanRequests } from '../../src/endpoint/resp-scan.js';

/** Feeds `text` cut at every position in turn; returns the reply end offsets (in the whole). */
function endsWhenCut(text: string, cut: number): number[] {
  const buf = Buffer.from(text);
  const s = new ReplyScanner();
  const ends: number[] = [];
  s.feed(buf.subarray(0, cut), (e) => ends.push(e));
  s.feed(buf.subarray(cut), (e) => ends.push(cut + e));
  return ends;
}

const replies = [
  '+OK\r\n',
  '-ERR wrong\r\n',
  ':42\r\n',
  '$5\r\nhello\r\n',
  '$0\r\n\r\n',
  '$-1\r\n',
  '*-1\r\n',
  '*0\r\n',
  '*2\r\n$1\r\na\r\n*2\r\n:1\r\n$4\r\n\r\n\r\n\r\n',
  '*3\r\n*1\r\n+x\r\n*0\r\n$-1\r\n',
];

test('every RESP2 reply type ends where it should, wherever the stream is cut', () => {
  const all = replies.join('');
  const expected: number[] = [];
  let at = 0;
  for (const r of replies) expected.push((at += Buffer.byteLength(r)));
  for (let cut = 0; cut <= all.length; cut++)
    assert.deepEqual(endsWhenCut(all, cut), expected, `cut at ${cut}`);
});

test('a bulk string containing CRLF and RESP-looking bytes is skipped by length', () => {
  const body = '*1\r\n+OK\r\n:1\r\n';
  const r = `$${body.length}\r\n${body}\r\n`;
  const ends: number[] = [];
  new ReplyScanner().feed(Buffer.from(r + '+OK\r\n'), (e) => ends.push(e));
  assert.deepEqual(ends, [r.length, r.length + 5]);
});

test('a reply type the shared connection never expects is an error, not a guess', () => {
  assert.throws(() => new ReplyScanner().feed(Buffer.from('>2\r\n'), () => undefined));
});

const frame = (...args: string[]): string =>
  `*${args.length}\r\n` + args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('');

test('request frames: names lower-cased, arguments on demand, partial frame left over', () => {
  const whole = frame('SET', 'k', 'v') + frame('auth', 'pw') + frame('GET', 'k');
  const buf = Buffer.from(whole + frame('GET', 'x').slice(0, 7));
  const r = scanRequests(buf, 1024);
  assert.deepEqual(
    r.frames.map((f) => f.name),
    ['set', 'auth', 'get'],
  );
  const auth = r.frames[1];
  assert.deepEqual(auth && frameArgs(buf, auth.start, auth.end).map(String), ['pw']);
  assert.equal(r.consumed, Buffer.byteLength(whole));
  assert.equal(r.unsupported, false);
  assert.equal(r.frames[2]?.start, r.frames[1]?.end);
});

test('inline commands and huge arguments are handed over, not parsed', () => {
  const inline = scanRequests(Buffer.from(frame('GET', 'a') + 'PING\r\n'), 1024);
  assert.equal(inline.frames.length, 1);
  assert.equal(inline.unsupported, true);
  assert.equal(inline.consumed, Buffer.byteLength(frame('GET', 'a')));
  const huge = scanRequests(Buffer.from('*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$99999\r\n'), 1024);
  assert.equal(huge.frames.length, 0);
  assert.equal(huge.unsupported, true);
  assert.equal(huge.consumed, 0);
});

test('request frames cut anywhere are seen whole once complete; names fold case', () => {
  const whole = frame('GET', 'k') + frame('get', 'k') + frame('GeT', 'k') + frame('MSET', 'a', 'b');
  for (let cut = 0; cut <= whole.length; cut++) {
    const first = scanRequests(Buffer.from(whole.slice(0, cut)), 1024);
    const rest = Buffer.from(whole.slice(first.consumed));
    const second = scanRequests(rest, 1024);
    assert.deepEqual(
      [...first.frames, ...second.frames].map((f) => f.name),
      ['get', 'get', 'get', 'mset'],
      `cut at ${cut}`,
    );
  }
});
