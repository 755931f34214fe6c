// Child processes for the benchmarks: every server and every client runs in its own process, under
// a hard deadline, and is killed by pid when the deadline passes or this process exits. Nothing is
// ever left behind, even when a benchmark throws half-way.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const children = new Set();
let exitHooked = false;

/** Kills every child still running (SIGKILL, by pid). Safe to call more than once. */
export function killAll() {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) {
      try { process.kill(child.pid, 'SIGKILL'); } catch { /* already gone */ }
    }
  }
  children.clear();
}

function hookExit() {
  if (exitHooked) return;
  exitHooked = true;
  process.on('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(signal, () => { killAll(); process.exit(130); });
  }
}

/** Absolute path of a file in bench/. */
export function benchPath(name) {
  return path.join(path.dirname(fileURLToPath(import.meta.url)), '..', name);
}

/**
 * `taskset -c <cpu>` when the child should run on one CPU of its own and this machine can do it
 * (Linux with taskset, more than `cpu` CPUs), else nothing. taskset execs node in place, so the pid
 * and the IPC channel stay the child's. Pinning the server and the client to different CPUs keeps
 * them from being scheduled onto the same one, the largest source of round-to-round noise here.
 */
function pinTo(cpu) {
  if (cpu === undefined || process.env.BENCH_PIN === '0' || os.availableParallelism() <= cpu) return [];
  return TASKSET === undefined ? [] : [TASKSET, '-c', String(cpu)];
}

const TASKSET = ['/usr/bin/taskset', '/bin/taskset'].find((candidate) => existsSync(candidate));

/** Whether children given a `cpu` really run pinned on this machine. */
export function canPin() {
  return pinTo(1).length > 0;
}

/** The highest open-file limit this shell may set: 65536 when allowed, else the hard limit. */
const ULIMIT = 'ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"';

/**
 * Starts `node [nodeArgs] bench/<script> <json config>` with an IPC channel. With `ulimit: true`
 * it runs under `bash -c 'ulimit -n ...; exec node ...'` (exec keeps the pid and the IPC fd).
 * The child is SIGKILLed after `timeoutMs` whatever it is doing.
 */
export function startChild(script, config, { timeoutMs, nodeArgs = [], ulimit = false, label = script, cpu } = {}) {
  hookExit();
  const args = [...nodeArgs, benchPath(script), JSON.stringify(config)];
  const quoted = args.map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(' ');
  const pinned = pinTo(cpu);
  const child = ulimit
    ? spawn('bash', ['-c', `${ULIMIT}; exec ${pinned.map((a) => `'${a}' `).join('')}'${process.execPath}' ${quoted}`], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
    : pinned.length > 0
      ? spawn(pinned[0], [...pinned.slice(1), process.execPath, ...args], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
      : spawn(process.execPath, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  children.add(child);
  const messages = [];
  const waiters = [];
  child.on('message', (message) => {
    const index = waiters.findIndex((w) => w.type === message.type);
    if (index >= 0) waiters.splice(index, 1)[0].resolve(message);
    else messages.push(message);
  });
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => {
    children.delete(child);
    clearTimeout(deadline);
    for (const w of waiters.splice(0)) w.reject(new Error(`${label} exited (code ${code}, signal ${signal}) before sending '${w.type}'`));
    resolve({ code, signal });
  }));
  const deadline = setTimeout(() => {
    process.stderr.write(`[bench] ${label} passed its ${timeoutMs} ms deadline: killing pid ${child.pid}\n`);
    try { process.kill(child.pid, 'SIGKILL'); } catch { /* gone */ }
  }, timeoutMs);

  return {
    pid: child.pid,
    command: `${ulimit ? `bash -c '${ULIMIT}; node ` : 'node '}${[...nodeArgs, `bench/${script}`].join(' ')} <config>${ulimit ? "'" : ''}`,
    exited,
    /** Waits for the next IPC message of `type`. */
    next(type) {
      const index = messages.findIndex((m) => m.type === type);
      if (index >= 0) return Promise.resolve(messages.splice(index, 1)[0]);
      if (child.exitCode !== null || child.signalCode !== null) return Promise.reject(new Error(`${label} has exited`));
      return new Promise((resolve, reject) => waiters.push({ type, resolve, reject }));
    },
    send(message) {
      if (child.connected) child.send(message);
    },
    /** Sends `message` and waits for the reply of type `${type}:done`. */
    async request(message) {
      const reply = this.next(`${message.type}:done`);
      this.send(message);
      return reply;
    },
    kill(signal = 'SIGKILL') {
      if (child.exitCode === null && child.signalCode === null) {
        try { process.kill(child.pid, signal); } catch { /* gone */ }
      }
      return exited;
    },
  };
}

/** Runs a client child to completion and returns its `result` message. */
export async function runClient(script, config, options) {
  const child = startChild(script, config, options);
  try {
    const result = await child.next('result');
    await child.exited;
    return result.data;
  } finally {
    await child.kill();
  }
}

/** In a child: exits when the parent goes away, and after `maxLifetimeMs` whatever happens. */
export function guardChild(maxLifetimeMs) {
  process.on('disconnect', () => process.exit(0));
  setTimeout(() => {
    process.stderr.write(`[bench] pid ${process.pid} reached its ${maxLifetimeMs} ms lifetime; exiting\n`);
    process.exit(3);
  }, maxLifetimeMs).unref();
}

/** In a child: the JSON config passed as the last argument. */
export function childConfig() {
  return JSON.parse(process.argv.at(-1));
}

/** In a child: sends the result to the parent and exits once it is flushed. */
export function sendResult(data) {
  process.send({ type: 'result', data }, () => process.exit(0));
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
