using System.Text.Json;
using Tally.Contracts;
using Tally.Core.Domain;
using Tally.Core.Engine;
using Tally.Core.Storage;
using Tally.Server.Http;
using Tally.Server.Mapping;

using Plan = Tally.Core.Domain.Plan;

namespace Tally.Server.Api.Billing;

/// <summary>
/// billing.preview_attach: the same body and the same decision as billing.attach, run as a dry run on the customer's
/// working view and never committed. Answers what would change: plans in and out, each touched balance before and
/// after, and the plan's amounts as configured (nothing is charged; the replaced plan earns no proration credit).
/// </summary>
internal static class PreviewAttach
{
    public static async Task<Reply> Handle(Call<AttachParams> call)
    {
        var catalog = await call.Store.GetCatalogAsync(call.Tenant, call.Ct).ConfigureAwait(false);
        var (cmd, error) = Attach.Parse(call.Tenant, call.Request, catalog);
        if (error is not null)
        {
            return error;
        }
        return await CustomerUnit.RunAsync(call, call.Request.CustomerId, cmd!, Decide, null).ConfigureAwait(false);
    }

    /// <summary>The decision: attaches on the working view, reads the difference, and commits nothing at all.</summary>
    public static Decision<Reply> Decide(Working w, Catalog cat, Attach.Command cmd, UnitContext u)
    {
        var r = cmd.Request;
        var before = Snapshot(w, cat, r.EntityId, u.Now);
        var (outcome, error) = Attach.Apply(w, cat, cmd, u);
        if (error is not null)
        {
            return UnitContext.Fail(error);
        }
        var after = Snapshot(w, cat, r.EntityId, u.Now);
        var attachment = outcome!.Attachment!;
        var response = new PreviewAttachResponse
        {
            CustomerId = r.CustomerId,
            Incoming = [Change(attachment, cmd.Quantities, attachment.Status == AttachmentStatus.Scheduled ? attachment.StartedAt : null)],
            Outgoing = outcome.Replaced.Select(p => Change(p, p.Options, null)).ToList(),
            Balances = before.Keys.Union(after.Keys, StringComparer.Ordinal).Order(StringComparer.Ordinal)
                .Where(f => before.GetValueOrDefault(f).Json != after.GetValueOrDefault(f).Json)
                .Select(f => new PreviewBalanceChange { FeatureId = f, Before = before.GetValueOrDefault(f).Wire, After = after.GetValueOrDefault(f).Wire })
                .ToList(),
        };
        Amounts(response, cat, cmd.Plan, attachment, cmd.Quantities, u.Now);
        // A preview is a read: neither the attach nor what settling time changed is committed, and no key is kept.
        return new Decision<Reply>(Reply.Ok(response, TallyJsonContext.Default.PreviewAttachResponse));
    }

    private static Dictionary<string, (Contracts.Balance? Wire, string? Json)> Snapshot(Working w, Catalog cat, string? entityId, DateTimeOffset now) =>
        BalanceView.All(w, cat, entityId, now).ToDictionary(b => b.FeatureId, b =>
        {
            var wire = b.ToWire();
            return (wire, wire is null ? null : JsonSerializer.Serialize(wire, TallyJsonContext.Default.Balance));
        }, StringComparer.Ordinal);

    private static PreviewPlanChange Change(CustomerPlan p, IReadOnlyDictionary<string, decimal> quantities, DateTimeOffset? effective) => new()
    {
        PlanId = p.PlanId,
        FeatureQuantities = quantities.OrderBy(q => q.Key, StringComparer.Ordinal)
            .Select(q => new PreviewFeatureQuantity { FeatureId = q.Key, Quantity = q.Value }).ToList(),
        EffectiveAt = BalanceWire.Ms(effective),
        CanceledAt = BalanceWire.Ms(p.CanceledAt),
        ExpiresAt = BalanceWire.Ms(p.EndsAt),
    };

    /// <summary>
    /// Due now: every fixed amount of a plan that starts now without a trial. Next cycle: the recurring amounts and
    /// the usage-based items, from the end of the first period (or of the trial, or from a scheduled start).
    /// </summary>
    private static void Amounts(PreviewAttachResponse response, Catalog cat, Plan plan, CustomerPlan attachment,
        IReadOnlyDictionary<string, decimal> quantities, DateTimeOffset now)
    {
        var start = attachment.Status == AttachmentStatus.Scheduled ? attachment.StartedAt : now;
        var first = Period(plan.Price?.Interval, plan.Price?.IntervalCount ?? 1, start);
        var fixedItems = new List<(PreviewLineItem Line, bool Recurs)>();
        if (plan.Price is { } price)
        {
            fixedItems.Add((Line(plan.Name, $"{plan.Name} - base price", price.Amount, plan.Id, null, 1m, first),
                price.Interval != ResetInterval.OneOff));
        }
        var usage = new List<PreviewUsageLineItem>();
        foreach (var item in plan.Items)
        {
            var name = cat.Feature(item.FeatureId)?.Name ?? item.FeatureId;
            if (item.Price is not { } p)
            {
                continue;
            }
            var period = Period(p.Interval, p.IntervalCount, start);
            if (p.BillingMethod == BillingMethod.UsageBased)
            {
                usage.Add(new PreviewUsageLineItem { DisplayName = name, PlanId = plan.Id, FeatureId = item.FeatureId, Period = period });
                continue;
            }
            var total = quantities.GetValueOrDefault(item.FeatureId);
            var amount = Pricing.Cost(p, Grants.PrepaidGrant(item, total));
            fixedItems.Add((Line(name, $"{name} - {total} units", amount, plan.Id, item.FeatureId, total, period),
                p.Interval is { } iv && iv != ResetInterval.OneOff));
        }
        if (attachment.Status == AttachmentStatus.Active && attachment.TrialEndsAt is null)
        {
            response.LineItems = fixedItems.Select(f => f.Line).ToList();
            response.Subtotal = response.Total = response.LineItems.Sum(l => l.Total);
        }
        var recurring = fixedItems.Where(f => f.Recurs).Select(f => f.Line).ToList();
        var nextStart = attachment.TrialEndsAt
            ?? (attachment.Status == AttachmentStatus.Scheduled ? attachment.StartedAt : (DateTimeOffset?)null)
            ?? (first is { } f1 ? DateTimeOffset.FromUnixTimeMilliseconds(f1.End) : (DateTimeOffset?)null)
            ?? usage.Select(u => u.Period).OfType<PreviewPeriod>().Select(p => (DateTimeOffset?)DateTimeOffset.FromUnixTimeMilliseconds(p.End)).FirstOrDefault();
        if ((recurring.Count > 0 || usage.Count > 0) && nextStart is { } next)
        {
            response.NextCycle = new PreviewNextCycle
            {
                StartsAt = next.ToUnixTimeMilliseconds(),
                LineItems = recurring,
                Subtotal = recurring.Sum(l => l.Total),
                Total = recurring.Sum(l => l.Total),
                UsageLineItems = usage,
            };
        }
    }

    private static PreviewPeriod? Period(ResetInterval? interval, int count, DateTimeOffset start) =>
        interval is { } iv && iv != ResetInterval.OneOff
            ? new PreviewPeriod { Start = start.ToUnixTimeMilliseconds(), End = Calendar.Add(start, iv, count, 1).ToUnixTimeMilliseconds() }
            : null;

    private static PreviewLineItem Line(string display, string description, decimal amount, string planId, string? featureId, decimal quantity,
        PreviewPeriod? period) => new()
        {
            DisplayName = display,
            Description = description,
            Subtotal = amount,
            Total = amount,
            PlanId = planId,
            FeatureId = featureId,
            Quantity = quantity,
            Period = period,
        };
}
