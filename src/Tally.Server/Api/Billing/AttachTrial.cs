using System.Text.Json;
using Tally.Contracts;
using Tally.Core.Domain;
using Tally.Core.Engine;
using Tally.Server.Http;

using Plan = Tally.Core.Domain.Plan;

namespace Tally.Server.Api.Billing;

/// <summary>The free trial an attach starts: the request's <c>free_trial</c>, else the plan's own.</summary>
internal static class AttachTrial
{
    public static (FreeTrial? Trial, Reply? Error) Parse(TenantId t, JsonElement? requested, Plan plan)
    {
        FreeTrial? trial;
        try
        {
            trial = requested is { ValueKind: JsonValueKind.Object } e
                ? e.Deserialize(TallyJsonContext.Default.FreeTrial)
                : plan.FreeTrialJson is { } stored ? JsonSerializer.Deserialize(stored, TallyJsonContext.Default.FreeTrial) : null;
        }
        catch (JsonException)
        {
            return (null, Errors.Invalid(t, "free_trial: must be {duration_length, duration_type?, card_required?, on_end?}"));
        }
        if (requested is { ValueKind: not (JsonValueKind.Object or JsonValueKind.Null) })
        {
            return (null, Errors.Invalid(t, "free_trial: must be an object or null"));
        }
        return Check(t, trial, "free_trial");
    }

    /// <summary>A trial given in full (<c>customize.free_trial</c>), checked as the top-level one is.</summary>
    public static (FreeTrial? Trial, Reply? Error) Check(TenantId t, FreeTrial? trial, string at)
    {
        if (trial is null)
        {
            return (null, null);
        }
        if (trial.DurationLength is < 1 or > 1000)
        {
            return (null, Errors.Invalid(t, $"{at}.duration_length: must be between 1 and 1000"));
        }
        if (trial.DurationType is not (null or "day" or "month" or "year"))
        {
            return (null, Errors.Invalid(t, $"{at}.duration_type: must be day, month or year"));
        }
        if (trial.OnEnd is not (null or "bill" or "revert"))
        {
            return (null, Errors.Invalid(t, $"{at}.on_end: must be bill or revert"));
        }
        return (trial, null);
    }

    /// <summary>
    /// When the attachment starts and ends by itself. Without a payment provider no card is ever collected, so a
    /// trial that needs none (or reverts at its end) ends the plan with the trial; one that required a card bills
    /// out of band and continues.
    /// </summary>
    public static AttachTerms Terms(FreeTrial? trial, DateTimeOffset? startsAt, DateTimeOffset now)
    {
        var start = startsAt is { } s && s > now ? s : now;
        if (trial is null)
        {
            return new AttachTerms(StartsAt: startsAt);
        }
        var interval = trial.DurationType switch
        {
            "day" => ResetInterval.Day,
            "year" => ResetInterval.Year,
            _ => ResetInterval.Month,
        };
        var ends = Calendar.Add(start, interval, trial.DurationLength, 1);
        var endsWithTrial = trial.CardRequired == false || trial.OnEnd == "revert";
        return new AttachTerms(startsAt, ends, endsWithTrial);
    }
}
