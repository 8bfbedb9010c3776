/**
 * One load-generator process. Started by bench/run.mjs with a role in argv[2] and driven over
 * IPC; all times are host-wide microseconds (lib/clock.mjs) so several generator processes and
 * the orchestrator agree on the measurement window.
 *
 * Roles:
 *  - receivers: `count` room members that count messages and record latency inside the window;
 *  - sender:    one sender, then one probe member (the last to join, so the last a server loop
 *               reaches). The sender keeps `window` messages in flight, counted by their arrival
 *               at the probe; the probe also counts as a receiver;
 *  - reqrep:    `count` clients, each sending `echo` and waiting for the reply before the next;
 *  - idle:      opens `count` connections as fast as it can (bounded concurrency) and holds them;
 *  - c100k:     `count` cheap raw-socket clients (raw-clients.mjs) spread over loopback source
 *               addresses, held with heartbeats answered; counts pings in a window, records when
 *               each connection receives a broadcast, and one of them sends the broadcast trigger.
 */
import { at, CpuMeter, nowUs } from '../lib/clock.mjs';
import { createHistogram, record } from '../lib/histogram.mjs';
import { emit, serve } from '../lib/ipc-child.mjs';
import { messageMaker, PREFIX, readTimestamp, roomMessageMaker } from '../lib/payload.mjs';
import { RawClients, Receipts } from './raw-clients.mjs';
import { connect, connectMany, serverCloses } from './transports.mjs';

const role = process.argv[2];
const cfg = JSON.parse(process.argv[3] ?? '{}');
const cpu = new CpuMeter();
/** No reply for this long means a message was lost (loopback TCP does not lose any). */
const STALL_US = 3e6;

/** Counts and latencies of messages received inside [fromUs, toUs). */
class Tally {
  constructor() {
    this.hist = createHistogram();
    this.count = 0;
    this.late = 0;
    this.fromUs = Infinity;
    this.toUs = -Infinity;
  }

  window(fromUs, toUs) {
    this.fromUs = fromUs;
    this.toUs = toUs;
    at(fromUs, () => cpu.start());
    at(toUs, () => cpu.stop());
  }

  add(ts, now) {
    if (now >= this.fromUs && now < this.toUs) {
      this.count++;
      record(this.hist, now - ts);
    } else if (now >= this.toUs) {
      this.late++;
    }
  }

  result() {
    return {
      count: this.count,
      late: this.late,
      hist: this.hist,
      cpu: cpu.result,
      closed: serverCloses.count,
      closeReason: serverCloses.reason,
    };
  }
}

/**
 * Member i's URL. With `cfg.rooms` (`{ start, perClient, step, end }`, the scaleout scenario) it
 * asks the target to join rooms `start + i * perClient`, then every `step`, below `end`.
 */
function memberUrl(i) {
  const r = cfg.rooms;
  if (!r) return cfg.url;
  const sep = cfg.url.includes('?') ? '&' : '?';
  return `${cfg.url}${sep}rooms=${r.start + i * r.perClient},${r.step},${r.end}`;
}

/** Room members that report once every one of them has received something (sync). */
function membersRole() {
  const tally = new Tally();
  let synced = 0;
  let clients = [];
  const handlers = {
    connect: async () => {
      const res = await connectMany(cfg.count, cfg.concurrency, (i) => {
        let seen = false;
        return connect(cfg.kind, memberUrl(i), (data) => {
          const ts = readTimestamp(data);
          if (!seen) {
            seen = true;
            if (++synced === cfg.count) emit('synced');
          }
          if (ts > 0) tally.add(ts, nowUs());
        });
      });
      clients = res.clients;
      if (res.failed) throw new Error(`${res.failed}/${cfg.count} failed: ${res.firstError}`);
      return { opened: clients.length };
    },
    window: ({ fromUs, toUs }) => tally.window(fromUs, toUs),
    collect: () => tally.result(),
  };
  return handlers;
}

function senderRole() {
  const tally = new Tally();
  const make = messageMaker('chat', cfg.size);
  // With `cfg.rooms` (scaleout) each message goes to the next of that many rooms, in turn.
  const makeForRoom = cfg.rooms ? roomMessageMaker(cfg.size) : null;
  const syncMessage = make(0);
  let sender;
  let syncTimer;
  let running = false;
  let sent = 0;
  let acked = 0;
  let sentInWindow = 0;
  let stalls = 0;
  let lastAckUs = 0;
  let fromUs = Infinity;
  let toUs = -Infinity;
  let watchdog;

  const pump = () => {
    while (running && sent - acked < cfg.window) {
      const now = nowUs();
      if (now >= toUs) {
        running = false;
        return;
      }
      sender.send('chat', makeForRoom ? makeForRoom(now, sent % cfg.rooms) : make(now));
      sent++;
      if (now >= fromUs) sentInWindow++;
    }
  };

  return {
    connect: async () => {
      sender = await connect(cfg.kind, cfg.url, () => {});
      let seen = false;
      // The probe joins where the receivers are (cross-node: another node than the sender's).
      await connect(cfg.kind, cfg.probeUrl ?? cfg.url, (data) => {
        const ts = readTimestamp(data);
        if (!seen) {
          seen = true;
          emit('synced');
        }
        if (ts <= 0) return;
        const now = nowUs();
        tally.add(ts, now);
        acked++;
        lastAckUs = now;
        pump();
      });
      return { opened: 2 };
    },
    'sync-start': () => {
      sender.send('chat', syncMessage);
      syncTimer = setInterval(() => sender.send('chat', syncMessage), 50);
    },
    'sync-stop': () => clearInterval(syncTimer),
    run: (args) => {
      fromUs = args.fromUs;
      toUs = args.toUs;
      tally.window(fromUs, toUs);
      at(args.startUs, () => {
        running = true;
        lastAckUs = nowUs();
        // A lost message would stall a closed loop for good; after STALL_US without progress
        // the window is reopened and the stall counted (the case then fails).
        watchdog = setInterval(() => {
          if (running && sent > acked && nowUs() - lastAckUs > STALL_US) {
            stalls++;
            acked = sent;
            lastAckUs = nowUs();
            pump();
          }
        }, 250);
        pump();
      });
      at(toUs, () => {
        running = false;
        clearInterval(watchdog);
      });
    },
    collect: () => ({ ...tally.result(), sent, sentInWindow, stalls }),
  };
}

function reqrepRole() {
  const tally = new Tally();
  const make = messageMaker('echo', cfg.size);
  let clients = [];
  let toUs = -Infinity;
  let errors = 0;
  let stalls = 0;
  let watchdog;
  const send = (client, now) => {
    client.sentUs = now;
    client.conn.send('echo', make(now));
  };
  return {
    connect: async () => {
      const res = await connectMany(cfg.count, cfg.concurrency, () => {
        const client = { sentUs: Infinity };
        return connect(cfg.kind, cfg.url, (data) => {
          const ts = readTimestamp(data);
          if (ts <= 0) {
            errors++;
            return;
          }
          const now = nowUs();
          tally.add(ts, now);
          client.sentUs = Infinity;
          if (now < toUs) send(client, now);
        }).then((conn) => {
          client.conn = conn;
          return client;
        });
      });
      clients = res.clients;
      if (res.failed) throw new Error(`${res.failed}/${cfg.count} failed: ${res.firstError}`);
      return { opened: clients.length };
    },
    run: (args) => {
      toUs = args.toUs;
      tally.window(args.fromUs, args.toUs);
      at(args.startUs, () => {
        for (const c of clients) send(c, nowUs());
        watchdog = setInterval(() => {
          const now = nowUs();
          for (const c of clients) {
            if (now - c.sentUs > STALL_US && now < toUs) {
              stalls++;
              send(c, now);
            }
          }
        }, 250);
      });
      at(toUs, () => clearInterval(watchdog));
    },
    collect: () => ({ ...tally.result(), errors, stalls }),
  };
}

function idleRole() {
  let clients = [];
  return {
    connect: async () => {
      cpu.start();
      const startUs = nowUs();
      const res = await connectMany(cfg.count, cfg.concurrency, () =>
        connect(cfg.kind, cfg.url, () => {}),
      );
      const endUs = nowUs();
      clients = res.clients;
      return {
        opened: res.clients.length,
        failed: res.failed,
        firstError: res.firstError,
        startUs,
        endUs,
        cpu: cpu.stop(),
      };
    },
    open: () => ({ open: clients.filter((c) => c.isOpen()).length, ...serverCloses }),
  };
}

/** The broadcast of the c100k scenario: `all` with an 8-digit sequence number, 64 B of body. */
const ALL_EVENT = 'all';
const SEQ_DIGITS = 8;
const ALL_BODY_BYTES = 64;

function broadcastMessage(seq) {
  const body = String(seq).padStart(SEQ_DIGITS, '0') + ',';
  return `${PREFIX}${ALL_EVENT};0;${body}${'x'.repeat(ALL_BODY_BYTES - body.length)}`;
}

function c100kRole() {
  const receipts = new Receipts();
  // Where the sequence number is in a received payload: after the Iris head, and for socket.io
  // after its event packet's head too (`42["all","`).
  const seqAt =
    PREFIX.length +
    `${ALL_EVENT};0;`.length +
    (cfg.kind === 'ws' ? 0 : `42["${ALL_EVENT}","`.length);
  const clients = new RawClients({
    kind: cfg.kind,
    host: cfg.host,
    port: cfg.port,
    path: cfg.path,
    sources: cfg.sources,
    onBroadcast: (client, buf, start, len) => {
      if (len < seqAt + SEQ_DIGITS) return;
      let seq = 0;
      for (let k = start + seqAt; k < start + seqAt + SEQ_DIGITS; k++) seq = seq * 10 + buf[k] - 48;
      receipts.record(client.index, seq);
    },
  });
  const connectCpu = new CpuMeter();
  const idleCpu = new CpuMeter();
  const bcastCpu = new CpuMeter();
  let pingsAtStart = 0;
  const status = () => ({
    open: clients.open,
    closed: clients.closed,
    closeReason: clients.closeReason,
    pings: clients.pings,
  });
  return {
    connect: async () => {
      connectCpu.start();
      const startUs = nowUs();
      const res = await clients.connectMany(cfg.count, cfg.concurrency);
      const endUs = nowUs();
      return { ...res, startUs, endUs, cpu: connectCpu.stop() };
    },
    status,
    'idle-start': () => {
      pingsAtStart = clients.pings;
      idleCpu.start();
    },
    'idle-stop': () => ({
      ...status(),
      windowPings: clients.pings - pingsAtStart,
      cpu: idleCpu.stop(),
    }),
    expect: ({ seq }) => {
      receipts.expect(seq, clients.open, cfg.count);
      bcastCpu.start();
    },
    trigger: ({ seq }) => {
      const client = clients.clients.find((c) => c.isOpen);
      if (!client) throw new Error('no open connection to send the trigger');
      const triggerUs = nowUs();
      clients.send(client, ALL_EVENT, broadcastMessage(seq));
      return { triggerUs };
    },
    'collect-broadcast': async ({ triggerUs, timeoutMs }) => {
      await receipts.wait(timeoutMs);
      const cpuResult = bcastCpu.stop();
      const hist = createHistogram();
      let lastUs = 0;
      for (const d of receipts.delays(triggerUs)) {
        record(hist, d);
        if (d > lastUs) lastUs = d;
      }
      return { got: receipts.got, expected: receipts.expected, lastUs, hist, cpu: cpuResult };
    },
    reset: () => ({ reset: clients.resetAll() }),
  };
}

const roles = {
  c100k: c100kRole,
  receivers: membersRole,
  sender: senderRole,
  reqrep: reqrepRole,
  idle: idleRole,
};

if (!roles[role]) {
  console.error(`unknown role ${role}`);
  process.exit(2);
}
serve(roles[role]());
emit('loaded');
