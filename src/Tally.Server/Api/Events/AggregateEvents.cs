using Tally.Contracts;
using Tally.Core.Domain;
using Tally.Core.Storage;
using Tally.Server.Http;

namespace Tally.Server.Api.Events;

/// <summary>
/// events.aggregate: tracked usage (refunds included; grants, resets and seats are not usage) binned in UTC over a
/// range, read from the hourly rollup the stores keep with the ledger. Groups, property filters and the per-balance
/// breakdown read the ledger rows of the window, since only they carry properties and deltas.
/// </summary>
internal static class AggregateEvents
{
    /// <summary>Ledger rows read per page when the answer needs them.</summary>
    private const int ScanPage = 1000;

    /// <summary>What the answer needs from the customer, gathered under its serialisation and nothing kept past it.</summary>
    internal sealed record CustomerFacts(DateTimeOffset Now, (DateTimeOffset Start, DateTimeOffset End)? Cycle, DateTimeOffset CreatedAt,
        Catalog Catalog, IReadOnlyDictionary<string, string?> SourceEntities);

    public static async Task<Reply> Handle(Call<AggregateEventsParams> call)
    {
        var t = call.Tenant;
        var (spec, error) = AggregateRules.Validate(call.Request);
        if (spec is null)
        {
            return Errors.Invalid(t, error!);
        }
        CustomerFacts facts;
        if (spec.CustomerId is { } customerId)
        {
            var found = await CustomerUnit.MutateAsync(call, customerId, spec, Gather, null).ConfigureAwait(false);
            if (found.Result is not { } f)
            {
                return Errors.CustomerNotFound(t, customerId);
            }
            facts = f;
        }
        else
        {
            var catalog = await call.Store.GetCatalogAsync(t, call.Ct).ConfigureAwait(false);
            facts = new CustomerFacts(call.Clock.Now, null, DateTimeOffset.MinValue, catalog, new Dictionary<string, string?>());
        }
        if (AggregateRules.Window(spec, facts.Now, facts.Cycle, facts.CreatedAt) is not { } window)
        {
            return Errors.Invalid(t, $"{(spec.Range is null ? "custom_range" : "range")}: more than {AggregateRules.MaxBins} bins of {spec.Bin.ToString().ToLowerInvariant()}; "
                + "choose a larger bin_size or a shorter range");
        }
        var bins = new AggregateBins(spec, window, AggregateRules.LedgerNames(spec.FeatureIds, facts.Catalog), facts.Catalog, facts.SourceEntities);
        if (window.Bins.Count == 0)
        {
            return Reply.Ok(bins.ToResponse(), TallyJsonContext.Default.AggregateEventsResponse);
        }
        // Filters need each row's properties, so the rollup cannot answer the values then.
        var fromRollup = spec.Filters.Count == 0;
        if (fromRollup)
        {
            var hours = await call.Store.QueryUsageAsync(t, new UsageQuery
            {
                CustomerId = spec.CustomerId,
                EntityId = spec.EntityId,
                Names = bins.Names,
                FromHourMs = window.StartMs,
                ToHourMs = window.EndMs,
            }, call.Ct).ConfigureAwait(false);
            foreach (var h in hours)
            {
                bins.AddHour(h);
            }
        }
        if (spec.ScansLedger)
        {
            long? before = null;
            while (true)
            {
                var page = await call.Store.ListEventsAsync(t, new EventQuery
                {
                    CustomerId = spec.CustomerId,
                    EntityId = spec.EntityId,
                    EventNames = bins.Names,
                    From = DateTimeOffset.FromUnixTimeMilliseconds(window.StartMs),
                    To = DateTimeOffset.FromUnixTimeMilliseconds(window.EndMs - 1),
                    BeforeSeq = before,
                    Limit = ScanPage,
                }, call.Ct).ConfigureAwait(false);
                foreach (var e in page)
                {
                    bins.AddEvent(e, countValues: !fromRollup);
                }
                if (page.Count < ScanPage)
                {
                    break;
                }
                before = page[^1].Seq;
            }
        }
        return Reply.Ok(bins.ToResponse(), TallyJsonContext.Default.AggregateEventsResponse);
    }

    /// <summary>The customer's own now (a test clock's), its billing cycle and its balances' owners; commits nothing.</summary>
    internal static Decision<CustomerFacts?> Gather(CustomerState? state, Catalog catalog, AggregateSpec spec, UnitContext u) =>
        state is null
            ? new Decision<CustomerFacts?>(null)
            : new Decision<CustomerFacts?>(new CustomerFacts(u.Now, AggregateRules.Cycle(state, u.Now), state.Customer.CreatedAt, catalog,
                spec.Deducted ? state.Sources.ToDictionary(s => s.Id, s => s.EntityId, StringComparer.Ordinal) : new Dictionary<string, string?>()));
}
