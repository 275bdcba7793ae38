using System.Text.Json;
using Tally.Contracts;
using Tally.Core.Audit;
using Tally.Core.Domain;
using Tally.Core.Storage;
using Tally.Server.Http;

namespace Tally.Server.Api.Admin;

/// <summary>
/// <c>admin.export_usage</c>: per customer, feature and calendar month (UTC) of [from, to), the usage, the included
/// allowance and the overage (<see cref="UsageExport"/>), streamed as NDJSON and closed by a <c>done</c> line.
/// Read-only; any secret key of the organization and environment may call it. Customers are read a batch at a time
/// in creation order, so a million rows take constant memory.
/// </summary>
internal static class ExportUsage
{
    /// <summary>Ten years of months: enough for any invoice run, and a bound on the rows one customer can produce.</summary>
    public static readonly TimeSpan MaxRange = TimeSpan.FromDays(3653);

    private static readonly ReadOnlyMemory<byte> Newline = "\n"u8.ToArray();

    public static async Task<Streamed> Handle(Call<ExportUsageParams> call)
    {
        var p = call.Request;
        if (Validate(p) is { } invalid)
        {
            return Streamed.Fail(Errors.Invalid(call.Tenant, invalid));
        }
        var from = DateTimeOffset.FromUnixTimeMilliseconds(p.From);
        var to = DateTimeOffset.FromUnixTimeMilliseconds(p.To);
        var store = (IUsageExportStore)call.Store;
        if (p.CustomerId is { } only && (await store.ReadUsageBatchAsync(call.Tenant, 0, 1, only, from, from, call.Ct).ConfigureAwait(false)).Count == 0)
        {
            return Streamed.Fail(Errors.CustomerNotFound(call.Tenant, only));
        }
        return Streamed.Ok("application/x-ndjson", (body, ct) => RunAsync(store, call.Tenant, p.CustomerId, from, to, body, ct));
    }

    /// <summary>The message naming the bad field, or null when the range is usable.</summary>
    public static string? Validate(ExportUsageParams p)
    {
        // Within what DateTimeOffset can hold, so the month arithmetic below cannot overflow.
        const long Min = 0, Max = 253_402_300_799_999 - (4019L * 86_400_000);
        if (p.From is < Min or > Max)
        {
            return "from: must be epoch milliseconds from 0 (1970) to the year 9988";
        }
        if (p.To <= p.From)
        {
            return "to: must be after from";
        }
        if (p.To - p.From > (long)MaxRange.TotalMilliseconds)
        {
            return "to: the range may span at most ten years";
        }
        return p.CustomerId is { Length: 0 } ? "customer_id: must not be empty" : null;
    }

    private static async Task RunAsync(IUsageExportStore store, TenantId tenant, string? only, DateTimeOffset from, DateTimeOffset to,
        Stream body, CancellationToken ct)
    {
        long customers = 0, rows = 0, after = 0;
        while (true)
        {
            var batch = await store.ReadUsageBatchAsync(tenant, after, Audit.BatchSize, only, from, to, ct).ConfigureAwait(false);
            foreach (var c in batch)
            {
                customers++;
                foreach (var row in UsageExport.Rows(c.CustomerId, c.Grants, c.Usage, from, to))
                {
                    rows++;
                    await WriteAsync(body, Line(row), ct).ConfigureAwait(false);
                }
                after = c.Seq;
            }
            await body.FlushAsync(ct).ConfigureAwait(false);
            if (only is not null || batch.Count < Audit.BatchSize)
            {
                break;
            }
        }
        await WriteAsync(body, new UsageExportLine { Type = "done", Rows = rows, Customers = customers }, ct).ConfigureAwait(false);
        await body.FlushAsync(ct).ConfigureAwait(false);
    }

    public static UsageExportLine Line(UsageRow r) => new()
    {
        Type = "row",
        CustomerId = r.CustomerId,
        FeatureId = r.FeatureId,
        PeriodStart = r.PeriodStart.ToUnixTimeMilliseconds(),
        PeriodEnd = r.PeriodEnd.ToUnixTimeMilliseconds(),
        Usage = r.Usage,
        Included = r.Included,
        Overage = r.Overage,
    };

    private static async Task WriteAsync(Stream body, UsageExportLine line, CancellationToken ct)
    {
        await JsonSerializer.SerializeAsync(body, line, TallyJsonContext.Default.UsageExportLine, ct).ConfigureAwait(false);
        await body.WriteAsync(Newline, ct).ConfigureAwait(false);
    }
}
