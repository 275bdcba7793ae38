// Starts a real Tally server for one test file and hands out an official-SDK client bound to it.
//
// Lives outside test/ on purpose: Node 20's default `node --test` discovery treats every .js file under a
// directory named `test` as a test file, so a helper there would be run (and counted) as a test.
import { spawn, spawnSync } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before } from "node:test";
import { Autumn } from "autumn-js";

const DLL = fileURLToPath(new URL("../../src/Tally.Server/bin/Release/net10.0/Tally.Server.dll", import.meta.url));
const STARTUP_TIMEOUT_MS = 60_000;

/** The headers the official SDK sends, for the few calls it cannot make (body idempotency_key on track). */
export function sdkHeaders(secretKey) {
  return {
    Authorization: `Bearer ${secretKey}`,
    "x-api-version": "2.4.0",
    "Content-Type": "application/json",
    Accept: "application/json",
  };
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.unref();
    s.on("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * TALLY_SDK_POSTGRES (an admin connection string, e.g. Host=127.0.0.1;Port=55432;Username=postgres;Database=postgres)
 * runs every server on a fresh PostgreSQL database of its own (created and dropped with psql) instead of SQLite.
 */
const PG_ADMIN = process.env.TALLY_SDK_POSTGRES || null;

function pgExec(sql) {
  const kv = Object.fromEntries(PG_ADMIN.split(";").filter(Boolean).map((p) => p.split("=").map((x) => x.trim())).map(([k, v]) => [k.toLowerCase(), v]));
  const args = ["-h", kv.host ?? "127.0.0.1", "-p", kv.port ?? "5432", "-U", kv.username ?? kv.user ?? "postgres", "-d", kv.database ?? "postgres", "-v", "ON_ERROR_STOP=1", "-c", sql];
  const r = spawnSync("psql", args, { env: { ...process.env, PGPASSWORD: kv.password ?? "" }, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`psql ${sql}: ${r.stderr || r.error}`);
}

function pgDatabase(name) {
  return PG_ADMIN.split(";").filter((p) => p && !/^\s*database\s*=/i.test(p)).concat(`Database=${name}`).join(";");
}

/** Spawns one Tally on a free port and waits for GET /healthz → 200; throws (with the server's output) if it cannot. */
async function launch(dir, keys, database = join(dir, "tally.db")) {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  let output = "";
  const child = spawn("dotnet", [DLL, "--urls", base], {
    env: {
      ...process.env,
      TALLY_DATABASE: database,
      TALLY_SECRET_KEYS: keys.join(","),
      DOTNET_CLI_TELEMETRY_OPTOUT: "1",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout.on("data", (d) => (output += d));
  child.stderr.on("data", (d) => (output += d));
  const state = { exited: null };
  child.on("exit", (code, signal) => (state.exited = { code, signal }));

  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  for (;;) {
    if (state.exited) {
      const err = new Error(`Tally exited during startup (${JSON.stringify(state.exited)}):\n${output}`);
      err.addressInUse = /address already in use/i.test(output);
      throw err;
    }
    try {
      const res = await fetch(`${base}/healthz`);
      if (res.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`Tally did not answer GET /healthz with 200 within ${STARTUP_TIMEOUT_MS} ms:\n${output}`);
    }
    await sleep(100);
  }
  return { child, base, state, log: () => output };
}

/**
 * Starts Tally on a free port with a fresh SQLite file and a random sandbox + live key.
 * Returns { base, secretKey, liveKey, autumn, client(key), post(path, body, key), log(), stop() }.
 */
export async function startServer() {
  if (!existsSync(DLL)) {
    throw new Error(`Tally server not built: ${DLL} is missing. Run: dotnet build src/Tally.Server -c Release`);
  }
  const dir = mkdtempSync(join(tmpdir(), "tally-sdk-compat-"));
  const secretKey = `am_sk_test_${randomBytes(16).toString("hex")}`;
  const liveKey = `am_sk_live_${randomBytes(16).toString("hex")}`;

  const pgName = PG_ADMIN ? `tally_sdk_${randomBytes(6).toString("hex")}` : null;
  if (pgName) pgExec(`CREATE DATABASE ${pgName}`);
  const dropDatabase = () => {
    if (pgName) {
      try {
        pgExec(`DROP DATABASE IF EXISTS ${pgName} WITH (FORCE)`);
      } catch {
        // best effort: the database is uniquely named and only a test's
      }
    }
  };
  let launched;
  for (let attempt = 1; ; attempt++) {
    try {
      launched = await launch(dir, [secretKey, liveKey], pgName ? pgDatabase(pgName) : undefined);
      break;
    } catch (err) {
      // The free port can be taken between probing it and Tally binding it; try another one.
      if (err.addressInUse && attempt < 3) continue;
      rmSync(dir, { recursive: true, force: true });
      dropDatabase();
      throw err;
    }
  }
  const { child, base, state, log } = launched;
  // Never leave a server behind, even when the test process dies early.
  const killNow = () => {
    child.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
    dropDatabase();
  };
  const killAndExit = (signal) => {
    killNow();
    process.exit(signal === "SIGINT" ? 130 : 143);
  };
  process.on("exit", killNow);
  process.once("SIGINT", killAndExit);
  process.once("SIGTERM", killAndExit);

  const client = (key = secretKey) => new Autumn({ secretKey: key, serverURL: base, failOpen: false });

  return {
    base,
    secretKey,
    liveKey,
    autumn: client(),
    client,
    /** A raw POST /v1/<path> with the SDK's headers; returns { status, headers, text, body (parsed JSON, else the text) }. */
    async post(path, body, key = secretKey) {
      const res = await fetch(`${base}/v1/${path}`, {
        method: "POST",
        headers: sdkHeaders(key),
        body: typeof body === "string" ? body : JSON.stringify(body),
      });
      const text = await res.text();
      let parsed = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        // leave as text
      }
      return { status: res.status, headers: res.headers, text, body: parsed };
    },
    /** Everything the server printed so far (for diagnosing a failure). */
    log,
    async stop() {
      process.off("exit", killNow);
      process.off("SIGINT", killAndExit);
      process.off("SIGTERM", killAndExit);
      if (!state.exited) {
        const gone = new Promise((r) => child.once("exit", r));
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
        await gone;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
      dropDatabase();
    },
  };
}

/** A unique id for one test, so tests sharing a server never collide. */
export function uid(prefix) {
  return `${prefix}_${randomUUID().replaceAll("-", "").slice(0, 12)}`;
}

/**
 * Awaits a promise that must reject with the SDK's HTTP error; returns { status, code, message, error }.
 * Fails if it resolves.
 */
export async function sdkError(promise) {
  let value;
  try {
    value = await promise;
  } catch (error) {
    let body = {};
    try {
      body = JSON.parse(error.body ?? "{}");
    } catch {
      // non-JSON body
    }
    return { status: error.statusCode, code: body.code, message: body.message, body, error };
  }
  throw new Error(`expected the SDK call to fail, but it answered ${JSON.stringify(value)}`);
}

/**
 * Registers before/after hooks that start one Tally for the enclosing describe() and stop it when the suite ends.
 * Call it inside a describe(): Node 20 runs file-level after() hooks only once the event loop drains, which the
 * SDK's keep-alive sockets delay by seconds. The returned object is filled in by the before hook
 * (base, secretKey, liveKey, autumn, client, post, log).
 */
export function useServer() {
  const ctx = {};
  let server;
  before(async () => {
    server = await startServer();
    Object.assign(ctx, server);
  });
  after(async () => {
    await server?.stop();
  });
  return ctx;
}
