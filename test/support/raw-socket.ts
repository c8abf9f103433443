// Raw TCP clients for tests of slow, idle and numerous HTTP clients (fetch would hide the timing).
import { connect, type Socket } from 'node:net';

export interface Probe {
  socket: Socket;
  /** Everything the server sent so far, as latin1 text. */
  received: () => string;
  /** ms from connect to the server closing the connection. */
  closed: Promise<number>;
}

export function openProbe(port: number): Promise<Probe> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let data = '';
    let started = 0;
    const closed = new Promise<number>((done) => socket.once('close', () => done(Date.now() - started)));
    socket.on('data', (chunk) => (data += chunk.toString('latin1')));
    socket.on('error', () => {}); // a reset is a close too
    socket.once('connect', () => {
      started = Date.now();
      resolve({ socket, received: () => data, closed });
    });
    socket.once('error', reject);
  });
}

/** Writes `text` one byte every `everyMs` until the socket closes. */
export function drip(socket: Socket, text: string, everyMs: number): void {
  let i = 0;
  const timer = setInterval(() => {
    if (socket.destroyed || !socket.writable) return clearInterval(timer);
    socket.write(text[i % text.length]!);
    i++;
  }, everyMs);
  socket.once('close', () => clearInterval(timer));
}
