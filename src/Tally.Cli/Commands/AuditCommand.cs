using System.CommandLine;
using Tally.Contracts;

namespace Tally.Cli.Commands;

/// <summary>
/// <c>tally audit [--customer ID]</c>: the server recomputes every balance and every hour of the usage rollup from the
/// ledger (<c>admin.audit</c>); each difference is printed as it arrives, progress goes to stderr. Exit 1 when anything differs or the answer was cut
/// off before its closing line, so a cron job or CI step fails on it.
/// </summary>
internal static class AuditCommand
{
    public static Command Build(GlobalOptions g, CliIo io)
    {
        var customer = new Option<string?>("--customer") { Description = "Audit only this customer" };
        var command = new Command("audit", "Recompute every balance from the ledger and report each difference (exit 1 if any)") { customer };
        command.SetAction(async (parse, ct) =>
        {
            var ctx = new CliContext(g, io, parse);
            var only = parse.GetValue(customer);
            if (only is { Length: 0 })
            {
                throw new UsageException("--customer: must not be empty");
            }
            AuditLine? done = null;
            await foreach (var line in ctx.Client().Admin.AuditAsync(new AuditParams { CustomerId = only }, ct).ConfigureAwait(false))
            {
                if (ctx.Json)
                {
                    // NDJSON in, NDJSON out: one compact object per line, written as it arrives.
                    await io.Out.WriteLineAsync(System.Text.Json.JsonSerializer.Serialize(line, TallyJsonContext.Default.AuditLine)).ConfigureAwait(false);
                }
                switch (line.Type)
                {
                    case "difference" when !ctx.Json:
                        await io.Out.WriteLineAsync(Describe(line)).ConfigureAwait(false);
                        break;
                    case "rollup_difference" when !ctx.Json:
                        await io.Out.WriteLineAsync(DescribeRollup(line)).ConfigureAwait(false);
                        break;
                    case "progress":
                        await io.Err.WriteLineAsync($"… {line.Customers} customers audited, {line.Differences} difference(s) so far").ConfigureAwait(false);
                        break;
                    case "done":
                        done = line;
                        break;
                }
            }
            if (done is null)
            {
                await io.Err.WriteLineAsync("error: the audit answer ended before its closing line; the result is incomplete").ConfigureAwait(false);
                return ExitCodes.ApiError;
            }
            var summary = $"Audited {done.Customers} customer(s), {done.Balances} balance(s), {done.RollupRows ?? 0} usage rollup hour(s): "
                + $"{done.Differences} difference(s).";
            await (ctx.Json ? io.Err : io.Out).WriteLineAsync(summary).ConfigureAwait(false);
            return done.Differences > 0 ? ExitCodes.ApiError : ExitCodes.Ok;
        });
        return command;
    }

    private static string Describe(AuditLine d) =>
        $"DIFF customer={d.CustomerId} feature={d.FeatureId}"
        + (d.EntityId is null ? "" : $" entity={d.EntityId}")
        + $" source={d.SourceId}"
        + (d.RolloverId is null ? "" : $" rollover={d.RolloverId}")
        + $" stored={Output.Number(d.Stored ?? 0)} ledger={Output.Number(d.Ledger ?? 0)}";

    private static string DescribeRollup(AuditLine d) =>
        $"ROLLUP customer={d.CustomerId} feature={d.FeatureId} hour={Output.Hour(d.Hour)}"
        + (d.EntityId is null ? "" : $" entity={d.EntityId}")
        + $" stored={Output.Number(d.Stored ?? 0)} ({d.StoredCount} event(s)) ledger={Output.Number(d.Ledger ?? 0)} ({d.LedgerCount} event(s))";
}
