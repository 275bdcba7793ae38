#!/usr/bin/env python3
"""Where a Tally server's CPU goes, from a `perf record -g` profile (bench/Tally.Bench --perf writes them).

Usage: bench/perf-breakdown.py PROFILE.data [...]

Each sample is put in the first category (in the order below) that any frame of its call stack matches, so the
categories add up to 100% of the server's on-CPU samples. Inclusive lines (how much of the CPU ran under a given
frame, overlapping the categories) follow. Needs the server to have run with DOTNET_PerfMapEnabled=1 (the harness
sets it with --perf) so JIT-compiled frames have names.
"""
import collections
import subprocess
import sys

# (category, substrings; a sample matches if any frame contains any of them)
CATEGORIES = [
    ("fsync (kernel, WAL commit)", ["do_fsync", "__x64_sys_fsync", "__x64_sys_fdatasync"]),
    ("SQLite statements (native + Microsoft.Data.Sqlite)", ["libe_sqlite3", "[Microsoft.Data.Sqlite]", "SQLitePCL"]),
    ("JSON (System.Text.Json)", ["[System.Text.Json]"]),
    ("libcrypto: SHA-256 of the API key, RandomNumberGenerator for ids", ["libcrypto", "SHA256", "Sha256", "RandomNumberGenerator"]),
    ("engine (Tally.Core)", ["[Tally.Core]"]),
    ("JIT (tiering still compiling)", ["libclrjit"]),
    ("thread pool spin / park (sched_yield, semaphores)", ["sched_yield", "LowLevelLifoSemaphore", "LowLevelSpinWaiter",
                                                          "futex_wait", "__futex_abstimed_wait"]),
    ("socket send/recv/epoll (kernel + managed)", ["sendto", "recvfrom", "__libc_recv", "__send", "epoll_wait",
                                                   "[System.Net.Sockets]", "SocketAsyncEngine"]),
    ("Kestrel + routing + middleware (Microsoft.AspNetCore)", ["[Microsoft.AspNetCore"]),
    ("Tally server code (Tally.Server, Tally.Storage.Sqlite glue)", ["[Tally.Server]", "[Tally.Storage.Sqlite]"]),
    ("memset (GC allocation contexts, zeroed buffers)", ["memset"]),
    ("other managed (CoreLib: tasks, collections, strings)", ["[System.", "[JIT]"]),
    ("other native runtime (libcoreclr: GC, stubs, type checks)", ["libcoreclr"]),
    ("other kernel", ["[kernel"]),
]

INCLUSIVE = [
    ("CommitPipeline.RunAsync (the single writer loop)", "CommitPipeline+<RunAsync>"),
    ("SqliteStore.WriteCustomer (row encoding + statements)", "SqliteStore::WriteCustomer"),
    ("RowCodec.Write (row JSON)", "RowCodec::Write"),
    ("SqliteStore.MutateCustomerAsync (excl. nothing)", "SqliteStore+<MutateCustomerAsync>"),
    ("Track.Decide (engine + response)", "Balances.Track::Decide"),
    ("Check.Decide (engine + response)", "Balances.Check::Decide"),
    ("BatchTrack (handler)", "BatchTrack"),
    ("Metering.Track", "Metering::Track("),
    ("Metering.Check", "Metering::Check("),
    ("Reply.Ok (response JSON)", "Reply::Ok"),
    ("Rpc.ReadBodyAsync (request body copy)", "Rpc+<ReadBodyAsync>"),
    ("Rpc.Parse (request JSON)", "Rpc::Parse"),
    ("KeyResolver.ResolveAsync (key hash per request)", "KeyResolver::ResolveAsync"),
    ("Kestrel HttpProtocol.ProcessRequests", "HttpProtocol+<ProcessRequests>"),
    ("GC (gc_heap / WKS / SVR symbols, if resolved)", "gc_heap"),
]


def samples(path):
    out = subprocess.run(["perf", "script", "-i", path, "-F", "comm,tid,ip,sym,dso"], capture_output=True, text=True, errors="replace")
    stack = []
    for line in out.stdout.splitlines():
        if not line.strip():
            if stack:
                yield stack
            stack = []
        elif line.startswith("\t") or line.startswith(" "):
            stack.append(line.strip())
        else:
            stack = []
    if stack:
        yield stack


def main():
    for path in sys.argv[1:]:
        counts = collections.Counter()
        incl = collections.Counter()
        total = 0
        for stack in samples(path):
            total += 1
            for name, keys in CATEGORIES:
                if any(k in f for f in stack for k in keys):
                    counts[name] += 1
                    break
            else:
                counts["unattributed"] += 1
            for name, key in INCLUSIVE:
                if any(key in f for f in stack):
                    incl[name] += 1
        print(f"== {path}: {total} samples")
        for name, n in counts.most_common():
            print(f"  {100.0 * n / max(total, 1):5.1f}%  {name}")
        print("  inclusive (overlapping):")
        for name, _ in INCLUSIVE:
            if incl[name]:
                print(f"  {100.0 * incl[name] / max(total, 1):5.1f}%  {name}")
        print()


if __name__ == "__main__":
    main()
