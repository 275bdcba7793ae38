using Tally.Core.Domain;
using Tally.Core.Engine;
using Tally.Core.Storage;

namespace Tally.Server.Hosting;

/// <summary>
/// Resets idle customers whose balances are due (and releases their expired locks) in bounded batches. Safe to
/// run twice and on several nodes at once: each customer is settled inside its own unit of work, which only acts
/// while something is due, so a second pass finds nothing to do.
/// </summary>
public sealed partial class ResetSweeper(ITallyStore store, TimeProvider time, TallyOptions options, ResetPolicy policy,
    IIdGenerator ids, ILogger<ResetSweeper> log) : BackgroundService
{
    public const int BatchSize = 500;

    /// <summary>One pass; returns how many customers it settled.</summary>
    public async Task<int> SweepOnceAsync(CancellationToken ct)
    {
        var settled = 0;
        while (!ct.IsCancellationRequested)
        {
            var due = await store.FindDueCustomersAsync(time.GetUtcNow(), BatchSize, ct).ConfigureAwait(false);
            var changedInBatch = 0;
            foreach (var (tenant, customerId) in due)
            {
                var result = await store.MutateCustomerAsync(tenant, customerId, (state, catalog) =>
                {
                    if (state is null)
                    {
                        return new Decision<bool>(false);
                    }
                    var now = state.Customer.NowAt(time.GetUtcNow());
                    var w = new Working(state);
                    Lifecycle.Settle(w, catalog, now, policy, ids);
                    var changes = w.ToChanges();
                    return new Decision<bool>(!changes.IsEmpty, changes);
                }, null, ct).ConfigureAwait(false);
                if (result.Result)
                {
                    changedInBatch++;
                }
            }
            settled += changedInBatch;
            // A batch that changed nothing (e.g. customers whose test clock is behind) must not spin.
            if (due.Count < BatchSize || changedInBatch == 0)
            {
                break;
            }
        }
        return settled;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.SweepInterval, time);
        var due = time.GetUtcNow() + options.SweepInterval;
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            // Lag: how far behind its schedule this pass starts (a long previous pass or a starved thread pool).
            var lag = time.GetUtcNow() - due;
            try
            {
                var n = await SweepOnceAsync(stoppingToken).ConfigureAwait(false);
                Core.Telemetry.TallyMetrics.SweeperRan(true, n, lag);
                if (n > 0)
                {
                    LogSwept(log, n);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                Core.Telemetry.TallyMetrics.SweeperRan(false, 0, lag);
                LogFailed(log, e);
            }
            due += options.SweepInterval;
        }
    }

    [LoggerMessage(EventId = 2000, Level = LogLevel.Information, Message = "Reset sweeper settled {Count} idle customers")]
    private static partial void LogSwept(ILogger logger, int count);

    [LoggerMessage(EventId = 2001, Level = LogLevel.Error, Message = "Reset sweeper pass failed")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
