// The embedded database's PostgreSQL wire-protocol server, run in the database worker
// (pglite-worker.ts). PGlite is one session that runs one thing at a time; this server lets many
// connections share it the way a server's backends would look to a client:
//   - a connection's messages run as whole units: everything up to and including a Sync or a
//     simple Query, fed to PGlite in one call, so another connection never runs between its Parse
//     and its Bind;
//   - a connection inside a transaction (or an unfinished extended-protocol batch) keeps the
//     session until it is back to idle; the others wait, so isolation holds. Units of idle
//     connections take turns, first come first served;
//   - prepared statement and portal names are per connection, as on a server (in PGlite's one
//     session two pool connections preparing "q1" would collide), and dropped when it closes;
//   - a connection that keeps a transaction open and sends nothing is cut after a timeout, as
//     idle_in_transaction_session_timeout would, or it would hold everyone else forever.
// pglite-socket (0.2.x) was tried first: it queues single messages, not units, shares statement
// names between connections (the second pool connection to prepare a statement fails with 42P05)
// and ignores startup parameters, so the service's pool could not run on it.
import crypto from 'node:crypto';
import type net from 'node:net';
import type { PGlite } from '@electric-sql/pglite';

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
const CANCEL_REQUEST = 80877102;
const PROTOCOL_3 = 3 << 16;

export interface WireServerOptions {
  pglite: PGlite;
  /** Statement timeout of a connection that does not ask for one (ms, 0: none). */
  defaultStatementTimeoutMs: number;
  /** A connection may keep the session in a transaction without sending anything this long (ms). */
  idleInTransactionMs: number;
  /** Called when a unit starts (with its deadline, 0 for none) and ends (0, 0). */
  onUnit?: (startedAt: number, deadline: number) => void;
  /**
   * Called when a unit starts on another connection than the unit before it, or ends with units
   * of other connections waiting: a load that runs its statements on one connection, or
   * housekeeping, can tell whether anyone else is using the database (profile.ts).
   */
  onOthers?: () => void;
  /** Session settings restored after a unit of an outside client (see Conn.outside). */
  sessionSettings: string;
}

interface Conn {
  id: number;
  socket: net.Socket;
  /** Came through EMBEDDED_SQL_PORT rather than the service's own socket. */
  outside: boolean;
  input: Buffer;
  started: boolean;
  /** Complete messages not yet run. */
  pending: Buffer[];
  timeoutMs: number;
  /** Prepared statement names (as renamed) to drop when the connection closes. */
  statements: Set<string>;
  closed: boolean;
  idleTimer?: NodeJS.Timeout;
}

/** A message: type byte, int32 length (counting itself), body. */
function message(type: string, body: Buffer = Buffer.alloc(0)): Buffer {
  const head = Buffer.alloc(5);
  head.write(type, 0, 'latin1');
  head.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([head, body]);
}
const cstring = (s: string) => Buffer.from(`${s}\0`, 'utf8');

function errorResponse(severity: 'ERROR' | 'FATAL', code: string, text: string): Buffer {
  return message('E', Buffer.concat([cstring(`S${severity}`), cstring(`V${severity}`), cstring(`C${code}`), cstring(`M${text}`), Buffer.from([0])]));
}

/** `30000`, `30s`, `1min`: a statement_timeout setting in ms (undefined when unreadable). */
export function parseTimeout(text: string): number | undefined {
  const m = /^\s*(\d+)\s*(ms|s|min|h)?\s*$/.exec(text);
  if (!m) return undefined;
  return Number(m[1]) * ({ ms: 1, s: 1000, min: 60_000, h: 3_600_000 }[m[2] ?? 'ms'] ?? 1);
}

/** The statement_timeout a startup packet asks for: a parameter of its own, or `-c` in options. */
export function requestedTimeout(params: Map<string, string>): number | undefined {
  const direct = params.get('statement_timeout');
  if (direct !== undefined) return parseTimeout(direct);
  const m = /(?:^|\s)(?:-c\s*|--)statement_timeout=(\S+)/.exec(params.get('options') ?? '');
  return m ? parseTimeout(m[1]!) : undefined;
}

/** Reads a NUL-terminated string at `at`; returns it and the offset after the NUL. */
function readCString(buf: Buffer, at: number): [string, number] {
  const end = buf.indexOf(0, at);
  return [buf.toString('utf8', at, end), end + 1];
}

export class WireServer {
  private readonly conns = new Set<Conn>();
  private readonly servers: net.Server[] = [];
  /** Connections with a unit to run, in arrival order. */
  private readonly ready: Conn[] = [];
  /** The connection inside a transaction or an unfinished batch: only it may run. */
  private holder: Conn | undefined;
  private running = false;
  /** Whether the unit that ran last came from outside. */
  private lastOutside = false;
  /** The connection whose unit ran last. */
  private lastUnit: Conn | undefined;
  private nextId = 1;
  private parameterStatus = Buffer.alloc(0);

  constructor(private readonly options: WireServerOptions) {}

  /** Reads the parameters every client is told at start-up from the database itself. */
  async init(): Promise<void> {
    const names = ['server_version', 'server_encoding', 'client_encoding', 'DateStyle', 'IntervalStyle', 'TimeZone',
      'integer_datetimes', 'standard_conforming_strings', 'is_superuser', 'session_authorization'];
    const parts: Buffer[] = [];
    for (const name of names) {
      const { rows } = await this.options.pglite.query<Record<string, string>>(`SHOW ${name}`);
      parts.push(message('S', Buffer.concat([cstring(name), cstring(Object.values(rows[0]!)[0]!)])));
    }
    for (const [name, value] of [['application_name', ''], ['default_transaction_read_only', 'off'], ['in_hot_standby', 'off']]) {
      parts.push(message('S', Buffer.concat([cstring(name!), cstring(value!)])));
    }
    this.parameterStatus = Buffer.concat(parts);
  }

  /** Serves connections accepted by `server` (already listening or about to). */
  attach(server: net.Server, outside: boolean): void {
    this.servers.push(server);
    server.on('connection', (socket) => this.accept(socket, outside));
  }

  async close(): Promise<void> {
    for (const conn of this.conns) conn.socket.destroy();
    await Promise.all(this.servers.map((s) => new Promise((resolve) => s.close(resolve))));
  }

  private accept(socket: net.Socket, outside: boolean): void {
    socket.setNoDelay(true);
    const conn: Conn = {
      id: this.nextId++, socket, outside, input: Buffer.alloc(0), started: false, pending: [],
      timeoutMs: this.options.defaultStatementTimeoutMs, statements: new Set(), closed: false,
    };
    this.conns.add(conn);
    socket.on('data', (data) => {
      conn.input = conn.input.length ? Buffer.concat([conn.input, data]) : data;
      this.read(conn);
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => this.closed(conn));
  }

  /** Splits the input into complete messages; start-up is answered here, the rest is queued. */
  private read(conn: Conn): void {
    let added = false;
    while (!conn.closed) {
      const buf = conn.input;
      if (!conn.started) {
        if (buf.length < 8) break;
        const length = buf.readInt32BE(0);
        if (buf.length < length) break;
        const packet = buf.subarray(0, length);
        conn.input = buf.subarray(length);
        this.startup(conn, packet);
        continue;
      }
      if (buf.length < 5) break;
      const length = 1 + buf.readInt32BE(1);
      if (buf.length < length) break;
      const msg = buf.subarray(0, length);
      conn.input = buf.subarray(length);
      if (msg[0] === 0x58 /* X: Terminate */) {
        conn.socket.end();
        break;
      }
      conn.pending.push(this.renamed(conn, msg));
      added = true;
    }
    if (!added) return;
    clearTimeout(conn.idleTimer);
    if (this.holder !== conn && !this.ready.includes(conn)) this.ready.push(conn);
    this.schedule();
  }

  private startup(conn: Conn, packet: Buffer): void {
    const code = packet.readInt32BE(4);
    if (code === SSL_REQUEST || code === GSSENC_REQUEST) {
      conn.socket.write('N'); // no encryption: loopback and a private socket only
      return;
    }
    if (code === CANCEL_REQUEST || code >> 16 !== 3) {
      conn.socket.destroy(); // a running statement cannot be cancelled (see pglite-worker.ts)
      return;
    }
    const params = new Map<string, string>();
    for (let at = 8; at < packet.length && packet[at] !== 0;) {
      const [key, next] = readCString(packet, at);
      const [value, after] = readCString(packet, next);
      params.set(key, value);
      at = after;
    }
    const asked = requestedTimeout(params);
    const limit = this.options.defaultStatementTimeoutMs;
    // The service's own connections set their timeout; an outside client may ask for less, not more.
    if (asked !== undefined) conn.timeoutMs = conn.outside && limit > 0 ? Math.min(asked || limit, limit) : asked;
    conn.started = true;
    const key = Buffer.alloc(8);
    key.writeInt32BE(conn.id, 0);
    crypto.randomFillSync(key, 4, 4);
    const parts = [message('R', Buffer.from([0, 0, 0, 0])), this.parameterStatus, message('K', key), message('Z', Buffer.from('I'))];
    // A client asking for a newer minor version or protocol options is told what we speak (3.0).
    const options = [...params.keys()].filter((k) => k.startsWith('_pq_.'));
    if ((code & 0xffff) !== 0 || options.length) {
      const body = Buffer.alloc(8);
      body.writeInt32BE(PROTOCOL_3, 0);
      body.writeInt32BE(options.length, 4);
      parts.splice(1, 0, message('v', Buffer.concat([body, ...options.map(cstring)])));
    }
    conn.socket.write(Buffer.concat(parts));
  }

  /**
   * Prefixes prepared statement and portal names with the connection's id (the unnamed ones stay
   * unnamed: a unit uses them whole, before anyone else runs).
   */
  private renamed(conn: Conn, msg: Buffer): Buffer {
    const type = String.fromCharCode(msg[0]!);
    const prefix = `c${conn.id}_`;
    const rename = (name: string) => (name ? prefix + name : '');
    if (type === 'P' || type === 'E') {
      const [name, rest] = readCString(msg, 5);
      if (!name) return msg;
      if (type === 'P') conn.statements.add(rename(name));
      return message(type, Buffer.concat([cstring(rename(name)), msg.subarray(rest)]));
    }
    if (type === 'B') {
      const [portal, next] = readCString(msg, 5);
      const [statement, rest] = readCString(msg, next);
      if (!portal && !statement) return msg;
      return message(type, Buffer.concat([cstring(rename(portal)), cstring(rename(statement)), msg.subarray(rest)]));
    }
    if (type === 'D' || type === 'C') {
      const [name] = readCString(msg, 6);
      if (!name) return msg;
      if (type === 'C' && msg[5] === 0x53) conn.statements.delete(rename(name));
      return message(type, Buffer.concat([msg.subarray(5, 6), cstring(rename(name))]));
    }
    return msg;
  }

  private schedule(): void {
    if (this.running) return;
    const conn = this.holder ?? this.ready.shift();
    if (!conn?.pending.length) return;
    this.running = true;
    void this.run(conn).finally(() => {
      this.running = false;
      this.schedule();
    });
  }

  /** Runs the connection's messages up to and including the first Sync or Query. */
  private async run(conn: Conn): Promise<void> {
    const end = conn.pending.findIndex((m) => m[0] === 0x53 /* S */ || m[0] === 0x51 /* Q */);
    const unit = conn.pending.splice(0, end < 0 ? conn.pending.length : end + 1);
    const { pglite, sessionSettings, onUnit } = this.options;
    if (this.lastOutside && !conn.outside) await pglite.exec(`RESET ALL; ${sessionSettings}`);
    this.lastOutside = conn.outside;
    if (conn !== this.lastUnit) this.options.onOthers?.();
    this.lastUnit = conn;
    let tail = Buffer.alloc(0);
    const now = Date.now();
    onUnit?.(now, conn.timeoutMs > 0 ? now + conn.timeoutMs : 0);
    try {
      await pglite.execProtocolRawStream(unit.length === 1 ? unit[0]! : Buffer.concat(unit), {
        onRawData: (data) => {
          if (!conn.closed) conn.socket.write(Buffer.from(data));
          tail = data.length >= 6 ? Buffer.from(data.subarray(-6)) : Buffer.concat([tail, data]).subarray(-6);
        },
      });
    } finally {
      onUnit?.(0, 0);
    }
    // Back to idle only when the answer ends with ReadyForQuery 'I'; 'T' or 'E' (in a transaction),
    // or no ReadyForQuery yet (a batch ended by Flush, COPY under way): the connection keeps the session.
    const idle = tail.length === 6 && tail[0] === 0x5a && tail.readInt32BE(1) === 5 && tail[5] === 0x49;
    // Others queued while this unit ran: they are using the database, though none could start.
    if (this.ready.some((c) => c !== conn)) this.options.onOthers?.();
    if (idle) {
      if (this.holder === conn) this.holder = undefined;
      if (conn.pending.length && !this.ready.includes(conn)) this.ready.push(conn);
    } else {
      this.holder = conn;
      if (!conn.pending.length) this.watchIdle(conn);
    }
    if (conn.closed && this.holder === conn) await this.cleanUp(conn);
  }

  private watchIdle(conn: Conn): void {
    clearTimeout(conn.idleTimer);
    conn.idleTimer = setTimeout(() => {
      if (this.holder !== conn || conn.pending.length) return;
      const text = `terminating connection: idle in a transaction for ${this.options.idleInTransactionMs} ms holds the embedded database for everyone`;
      conn.socket.end(errorResponse('FATAL', '25P03', text));
      conn.socket.destroy();
    }, this.options.idleInTransactionMs);
    conn.idleTimer.unref();
  }

  private closed(conn: Conn): void {
    if (conn.closed) return;
    conn.closed = true;
    clearTimeout(conn.idleTimer);
    this.conns.delete(conn);
    conn.pending.length = 0;
    const queued = this.ready.indexOf(conn);
    if (queued >= 0) this.ready.splice(queued, 1);
    if (this.holder === conn) {
      // It holds the session: clean up now, or when its running unit ends (see run).
      if (!this.running) {
        this.running = true;
        void this.cleanUp(conn).finally(() => {
          this.running = false;
          this.schedule();
        });
      }
    } else if (conn.statements.size) {
      // Its prepared statements are dropped in a unit of their own, when its turn comes.
      conn.pending.push(message('Q', cstring(deallocate(conn.statements))));
      conn.statements.clear();
      this.ready.push(conn);
      this.schedule();
    }
  }

  /** Rolls back what a closed connection holding the session left open; drops its statements. */
  private async cleanUp(conn: Conn): Promise<void> {
    const { pglite } = this.options;
    try {
      if (pglite.isInTransaction()) await pglite.exec('ROLLBACK');
      if (conn.statements.size) await pglite.exec(deallocate(conn.statements));
    } catch {
      // the session is idle again either way; a statement already gone is no loss
    } finally {
      conn.statements.clear();
      this.holder = undefined;
    }
  }
}

const deallocate = (names: Set<string>) => [...names].map((n) => `DEALLOCATE "${n.replaceAll('"', '""')}"`).join('; ');
