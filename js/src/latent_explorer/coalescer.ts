// Kernel decode requests: one in flight per purpose, the newest pending one replaces older ones.

/**
 * At most one request in flight per purpose; a request made meanwhile replaces the pending one
 * (stale pointer positions are dropped, never queued). `settle` on a reply says whether it
 * answers the request in flight (draw it) and sends the pending request, if any.
 */
export class Coalescer<T> {
  private inflight = new Map<string, { id: number; sent: number }>();
  private pending = new Map<string, T>();
  private nextId = 1;
  dropped = 0;
  sent = 0;

  constructor(
    private readonly sendFn: (purpose: string, id: number, payload: T) => void,
    private readonly timeoutMs = 3000,
  ) {}

  request(purpose: string, payload: T, now: number = Date.now()): number | null {
    const f = this.inflight.get(purpose);
    if (f && now - f.sent < this.timeoutMs) {
      if (this.pending.has(purpose)) this.dropped++;
      this.pending.set(purpose, payload);
      return null;
    }
    return this.dispatch(purpose, payload, now);
  }

  settle(purpose: string, id: number, now: number = Date.now()): boolean {
    const f = this.inflight.get(purpose);
    if (!f || f.id !== id) return false;
    this.inflight.delete(purpose);
    const next = this.pending.get(purpose);
    if (next !== undefined) {
      this.pending.delete(purpose);
      this.dispatch(purpose, next, now);
    }
    return true;
  }

  busy(purpose: string): boolean {
    return this.inflight.has(purpose);
  }

  private dispatch(purpose: string, payload: T, now: number): number {
    const id = this.nextId++;
    this.inflight.set(purpose, { id, sent: now });
    this.sent++;
    this.sendFn(purpose, id, payload);
    return id;
  }
}
