using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Tally.Contracts;
using Tally.Server.Api.Balances;
using Tally.Server.Api.Billing;
using static Tally.Server.Dashboard.Html;
using C = Tally.Contracts.TallyJsonContext;

namespace Tally.Server.Dashboard;

/// <summary>
/// The customer page's actions. Each checks the session's CSRF token, reads and validates its fields, and runs the
/// API's use case with the idempotency key the form was rendered with, so a double submit is answered once; a refusal
/// re-renders the page with the use case's own message and status.
/// </summary>
internal static partial class CustomerActions
{
    /// <summary>Whether plan rows carry a cancel action (billing.update's cancel).</summary>
    public static bool CanCancel => true;

    private static readonly string[] Intervals = ["day", "week", "month", "year"];

    public static async Task<IResult> HandleAsync(HttpContext http, string id)
    {
        if (await DashboardEndpoints.SessionAsync(http).ConfigureAwait(false) is not { } session)
        {
            return DashboardEndpoints.ToSignIn();
        }
        var form = await DashboardEndpoints.FormAsync(http).ConfigureAwait(false);
        if (form is null)
        {
            return DashboardEndpoints.Problem(400, "body: must be a form", session);
        }
        if (!session.CsrfMatches(DashboardEndpoints.Field(form, "csrf")))
        {
            return DashboardEndpoints.Problem(403, "csrf: the form is not from this session; reload the page", session);
        }
        if (DashboardEndpoints.Field(form, "idem") is not { } idem || !IdempotencyToken().IsMatch(idem))
        {
            return DashboardEndpoints.Problem(400, "idem: missing or malformed; reload the page", session);
        }
        var key = "dashboard:" + idem;
        var action = DashboardEndpoints.Field(form, "action");
        var (status, error) = action switch
        {
            "balance" => await UpdateBalanceAsync(http, session, id, form, key).ConfigureAwait(false),
            "grant" => await GrantAsync(http, session, id, form, key).ConfigureAwait(false),
            "attach" => await AttachAsync(http, session, id, form, key).ConfigureAwait(false),
            "cancel" => await CancelAsync(http, session, id, form, key).ConfigureAwait(false),
            _ => (400, "action: must be one of balance, grant, attach, cancel"),
        };
        if (error is not null)
        {
            var flash = $"<p role=\"alert\" class=\"error\">{E(error)}</p>";
            return await CustomerPage.RenderForAsync(http, session, id, null, flash, status).ConfigureAwait(false);
        }
        // Post/redirect/get: reloading the page afterwards does not submit the form again.
        http.Response.Headers.Location = $"/dashboard/customers/{U(id)}?ok={action}";
        return Results.StatusCode(StatusCodes.Status303SeeOther);
    }

    private static Task<(int, string?)> UpdateBalanceAsync(HttpContext http, DashboardSession session, string id, IFormCollection form, string key)
    {
        var feature = DashboardEndpoints.Field(form, "feature_id");
        var mode = DashboardEndpoints.Field(form, "mode");
        if (string.IsNullOrEmpty(feature))
        {
            return Refuse("feature_id: required");
        }
        if (mode is not ("set" or "add"))
        {
            return Refuse("mode: must be set or add");
        }
        if (!TryAmount(DashboardEndpoints.Field(form, "amount"), out var amount))
        {
            return Refuse("amount: must be a number");
        }
        var request = new UpdateBalanceParams
        {
            CustomerId = id,
            FeatureId = feature,
            Remaining = mode == "set" ? amount : null,
            AddToBalance = mode == "add" ? amount : null,
        };
        return InProcess.ActAsync(http, session.Tenant, "balances.update", request, C.Default.UpdateBalanceParams, UpdateBalance.Handle, key);
    }

    private static Task<(int, string?)> GrantAsync(HttpContext http, DashboardSession session, string id, IFormCollection form, string key)
    {
        var feature = DashboardEndpoints.Field(form, "feature_id");
        var interval = DashboardEndpoints.Field(form, "interval") ?? "";
        if (string.IsNullOrEmpty(feature))
        {
            return Refuse("feature_id: required");
        }
        if (interval.Length > 0 && !Intervals.Contains(interval))
        {
            return Refuse("interval: must be empty or one of day, week, month, year");
        }
        if (!TryAmount(DashboardEndpoints.Field(form, "amount"), out var amount))
        {
            return Refuse("amount: must be a number");
        }
        var request = new CreateBalanceParams
        {
            CustomerId = id,
            FeatureId = feature,
            IncludedGrant = amount,
            Reset = interval.Length == 0 ? null : new BalanceReset { Interval = interval },
        };
        return InProcess.ActAsync(http, session.Tenant, "balances.create", request, C.Default.CreateBalanceParams, CreateBalance.Handle, key);
    }

    private static Task<(int, string?)> AttachAsync(HttpContext http, DashboardSession session, string id, IFormCollection form, string key)
    {
        if (DashboardEndpoints.Field(form, "plan_id") is not { Length: > 0 } plan)
        {
            return Refuse("plan_id: required");
        }
        var request = new AttachParams { CustomerId = id, PlanId = plan };
        return InProcess.ActAsync(http, session.Tenant, "billing.attach", request, C.Default.AttachParams, Attach.Handle, key);
    }

    private static Task<(int, string?)> CancelAsync(HttpContext http, DashboardSession session, string id, IFormCollection form, string key)
    {
        if (DashboardEndpoints.Field(form, "plan_id") is not { Length: > 0 } plan)
        {
            return Refuse("plan_id: required");
        }
        var when = DashboardEndpoints.Field(form, "cancel_action");
        if (when is not ("cancel_end_of_cycle" or "cancel_immediately"))
        {
            return Refuse("cancel_action: must be cancel_end_of_cycle or cancel_immediately");
        }
        var request = new UpdateBillingParams { CustomerId = id, PlanId = plan, CancelAction = when };
        return InProcess.ActAsync(http, session.Tenant, "billing.update", request, C.Default.UpdateBillingParams, UpdateBilling.Handle, key);
    }

    /// <summary>The cancel form of one plan row: when (end of cycle or now), then the button.</summary>
    public static void CancelForm(StringBuilder sb, string customerId, string planId, DashboardSession session)
    {
        var select = "cancel-" + planId;
        sb.Append($"<form method=\"post\" action=\"/dashboard/customers/{U(customerId)}\" class=\"cancel\" data-confirm=\"Cancel plan {E(planId)}?\">")
            .Append(Csrf(session)).Append(Idempotency()).Append("<input type=\"hidden\" name=\"action\" value=\"cancel\">")
            .Append($"<input type=\"hidden\" name=\"plan_id\" value=\"{E(planId)}\">")
            .Append($"<label for=\"{E(select)}\" class=\"visually-hidden\">When</label><select id=\"{E(select)}\" name=\"cancel_action\">")
            .Append("<option value=\"cancel_end_of_cycle\">at period end</option><option value=\"cancel_immediately\">now</option></select> ")
            .Append("<button type=\"submit\">Cancel plan</button></form>");
    }

    private static Task<(int, string?)> Refuse(string message) => Task.FromResult<(int, string?)>((400, message));

    /// <summary>A number as people type it: digits, one point, optional sign and thousands separators; never a culture guess.</summary>
    private static bool TryAmount(string? text, out decimal amount)
    {
        amount = 0;
        return text is { Length: > 0 and <= 40 }
            && decimal.TryParse(text.Trim(), NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowThousands
                | NumberStyles.AllowLeadingWhite | NumberStyles.AllowTrailingWhite, CultureInfo.InvariantCulture, out amount);
    }

    [GeneratedRegex("^[A-Za-z0-9_-]{43}$")]
    private static partial Regex IdempotencyToken();
}
