using Tally.Client.Internal;
using Tally.Contracts;
using C = Tally.Contracts.TallyJsonContext;

namespace Tally.Client;

/// <summary><c>billing.*</c>: attach plans to customers.</summary>
public sealed class BillingClient
{
    private readonly TallyTransport _transport;

    internal BillingClient(TallyTransport transport) => _transport = transport;

    /// <summary><c>billing.attach</c>: gives the customer (or entity) the plan and its balances.</summary>
    /// <param name="parameters">Customer and plan.</param>
    /// <param name="ct">Cancels the call, including waits between retries.</param>
    /// <returns>The result; <see cref="AttachResponse.PaymentUrl"/> is null when no payment is needed.</returns>
    /// <exception cref="ArgumentException">Empty customer or plan id.</exception>
    /// <exception cref="TallyApiException">The server refused the call.</exception>
    public Task<AttachResponse> AttachAsync(AttachParams parameters, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        Guard.NotEmpty(parameters.CustomerId, "AttachParams.CustomerId", nameof(parameters));
        Guard.NotEmpty(parameters.PlanId, "AttachParams.PlanId", nameof(parameters));
        return _transport.PostAsync("billing.attach", parameters, C.Default.AttachParams, ExplicitNulls.Of(parameters.Customize), C.Default.AttachResponse, mutating: true, ct);
    }

    /// <summary>
    /// <c>billing.update</c>: cancels a plan (now or at the end of its billing cycle), takes a pending cancellation
    /// back, changes prepaid quantities, or moves the plan to another version.
    /// </summary>
    /// <param name="parameters">Customer, plan and the change.</param>
    /// <param name="ct">Cancels the call, including waits between retries.</param>
    /// <returns>The result; <see cref="AttachResponse.PaymentUrl"/> is always null without a payment provider.</returns>
    /// <exception cref="ArgumentException">Empty customer id.</exception>
    /// <exception cref="TallyApiException">The server refused the call.</exception>
    public Task<AttachResponse> UpdateAsync(UpdateBillingParams parameters, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        Guard.NotEmpty(parameters.CustomerId, "UpdateBillingParams.CustomerId", nameof(parameters));
        return _transport.PostAsync("billing.update", parameters, C.Default.UpdateBillingParams, ExplicitNulls.Of(parameters.Customize), C.Default.AttachResponse, mutating: true, ct);
    }

    /// <summary>
    /// <c>billing.preview_attach</c>: what <see cref="AttachAsync"/> with the same parameters would change — plans in
    /// and out, each touched balance before and after, and the plan's amounts as configured — without changing anything.
    /// </summary>
    /// <param name="parameters">The same body as for <see cref="AttachAsync"/>.</param>
    /// <param name="ct">Cancels the call, including waits between retries.</param>
    /// <returns>The preview; nothing is written and nothing is charged.</returns>
    /// <exception cref="ArgumentException">Empty customer or plan id.</exception>
    /// <exception cref="TallyApiException">The server refused the call (the same refusals as attach).</exception>
    public Task<PreviewAttachResponse> PreviewAttachAsync(AttachParams parameters, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        Guard.NotEmpty(parameters.CustomerId, "AttachParams.CustomerId", nameof(parameters));
        Guard.NotEmpty(parameters.PlanId, "AttachParams.PlanId", nameof(parameters));
        return _transport.PostAsync("billing.preview_attach", parameters, C.Default.AttachParams, ExplicitNulls.Of(parameters.Customize), C.Default.PreviewAttachResponse, mutating: false, ct);
    }
}
