// Length-prefixed frames on a stream (the peer channel), read without trust:
// the 4-byte length is checked against the limit of the moment before a byte
// of the frame is kept, the frame gets exactly one buffer of its announced
// size, and chunks are copied into it once (no re-copying of what came
// before, whatever the chunk sizes).
import type { Socket } from 'node:net';

export interface FrameReaderOptions {
  /** Largest frame accepted now; asked when each frame's length arrives. */
  maxFrame: () => number;
  onFrame: (frame: Buffer) => void;
  /** A frame over the limit (or of length 0); the socket is destroyed after. */
  onTooLarge: (length: number, limit: number) => void;
}

export function readFrames(socket: Socket, options: FrameReaderOptions): void {
  const head = Buffer.alloc(4);
  let headFill = 0;
  let body: Buffer | undefined;
  let bodyFill = 0;
  socket.on('data', (chunk: Buffer) => {
    let at = 0;
    while (at < chunk.length && !socket.destroyed) {
      if (!body) {
        const n = Math.min(4 - headFill, chunk.length - at);
        chunk.copy(head, headFill, at, at + n);
        headFill += n;
        at += n;
        if (headFill < 4) return;
        headFill = 0;
        const length = head.readUInt32BE(0);
        const limit = options.maxFrame();
        if (length === 0 || length > limit) {
          options.onTooLarge(length, limit);
          socket.destroy();
          return;
        }
        body = Buffer.allocUnsafe(length);
        bodyFill = 0;
      }
      const n = Math.min(body.length - bodyFill, chunk.length - at);
      chunk.copy(body, bodyFill, at, at + n);
      bodyFill += n;
      at += n;
      if (bodyFill === body.length) {
        const frame = body;
        body = undefined;
        options.onFrame(frame);
      }
    }
  });
}

export function frame(payload: Buffer): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt32BE(payload.length, 0);
  return Buffer.concat([head, payload]);
}
