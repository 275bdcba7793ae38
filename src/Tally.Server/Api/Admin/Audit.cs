using System.Text.Json;
using Tally.Contracts;
using Tally.Core.Audit;
using Tally.Core.Storage;
using Tally.Server.Http;

namespace Tally.Server.Api.Admin;

/// <summary>
/// <c>admin.audit</c>: recomputes every balance of the caller's environment, and every row of the hourly usage rollup
/// <c>events.aggregate</c> reads, from the ledger and streams each difference (NDJSON), with a progress line per batch and a closing <c>done</c> line. Read-only; any secret key of
/// the organization and environment may call it. Customers are read in creation order, a batch at a time, so memory
/// stays constant for any number of customers.
/// </summary>
internal static class Audit
{
    /// <summary>Customers per store read: large enough to amortize a transaction, small enough to keep memory flat.</summary>
    public const int BatchSize = 500;

    private static readonly ReadOnlyMemory<byte> Newline = "\n"u8.ToArray();

    public static async Task<Streamed> Handle(Call<AuditParams> call)
    {
        var store = (IAuditStore)call.Store;
        var only = call.Request.CustomerId;
        if (only is not null)
        {
            // Decided before the first byte, so an unknown customer is an ordinary 404.
            var found = await store.ReadAuditBatchAsync(call.Tenant, 0, 1, only, call.Ct).ConfigureAwait(false);
            if (found.Count == 0)
            {
                return Streamed.Fail(Errors.CustomerNotFound(call.Tenant, only));
            }
        }
        return Streamed.Ok("application/x-ndjson", (body, ct) => RunAsync(store, call.Tenant, only, body, ct));
    }

    private static async Task RunAsync(IAuditStore store, Core.Domain.TenantId tenant, string? only, Stream body, CancellationToken ct)
    {
        long customers = 0, balances = 0, rollupRows = 0, differences = 0, after = 0;
        while (true)
        {
            var batch = await store.ReadAuditBatchAsync(tenant, after, BatchSize, only, ct).ConfigureAwait(false);
            foreach (var c in batch)
            {
                customers++;
                balances += c.Balances.Count;
                foreach (var d in BalanceAudit.Compare(c.CustomerId, c.Balances, c.Ledger))
                {
                    differences++;
                    await WriteAsync(body, Difference(d), ct).ConfigureAwait(false);
                }
                rollupRows += c.LedgerRollup.Keys.Union(c.Rollup.Keys).Count();
                foreach (var d in RollupAudit.Compare(c.CustomerId, c.Rollup, c.LedgerRollup, store.RollupSumTolerance))
                {
                    differences++;
                    await WriteAsync(body, Difference(d), ct).ConfigureAwait(false);
                }
                after = c.Seq;
            }
            if (only is not null || batch.Count < BatchSize)
            {
                break;
            }
            await WriteAsync(body, new AuditLine
            {
                Type = "progress",
                Customers = customers,
                Balances = balances,
                RollupRows = rollupRows,
                Differences = differences,
            }, ct)
                .ConfigureAwait(false);
            await body.FlushAsync(ct).ConfigureAwait(false);
        }
        await WriteAsync(body, new AuditLine
        {
            Type = "done",
            Customers = customers,
            Balances = balances,
            RollupRows = rollupRows,
            Differences = differences,
        }, ct)
            .ConfigureAwait(false);
        await body.FlushAsync(ct).ConfigureAwait(false);
    }

    public static AuditLine Difference(AuditDifference d) => new()
    {
        Type = "difference",
        CustomerId = d.CustomerId,
        FeatureId = d.FeatureId,
        EntityId = d.EntityId,
        SourceId = d.SourceId,
        RolloverId = d.RolloverId,
        Stored = d.Stored,
        Ledger = d.Ledger,
    };

    public static AuditLine Difference(RollupDifference d) => new()
    {
        Type = "rollup_difference",
        CustomerId = d.CustomerId,
        FeatureId = d.Key.FeatureId,
        EntityId = d.Key.EntityKey.Length == 0 ? null : d.Key.EntityKey,
        Hour = d.Key.HourMs,
        Stored = d.Stored.Sum,
        Ledger = d.Ledger.Sum,
        StoredCount = d.Stored.Count,
        LedgerCount = d.Ledger.Count,
    };

    private static async Task WriteAsync(Stream body, AuditLine line, CancellationToken ct)
    {
        await JsonSerializer.SerializeAsync(body, line, TallyJsonContext.Default.AuditLine, ct).ConfigureAwait(false);
        // Kestrel refuses synchronous writes, so the newline goes out asynchronously too.
        await body.WriteAsync(Newline, ct).ConfigureAwait(false);
    }
}
