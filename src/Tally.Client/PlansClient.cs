using Tally.Client.Internal;
using Tally.Contracts;
using C = Tally.Contracts.TallyJsonContext;

namespace Tally.Client;

/// <summary><c>plans.*</c>: the catalog's plans.</summary>
public sealed class PlansClient
{
    private readonly TallyTransport _transport;

    internal PlansClient(TallyTransport transport) => _transport = transport;

    /// <summary><c>plans.create</c>.</summary>
    /// <param name="parameters">Id, name, price and items of the plan.</param>
    /// <param name="ct">Cancels the call, including waits between retries.</param>
    /// <returns>The new plan.</returns>
    /// <exception cref="ArgumentException">Empty plan id.</exception>
    /// <exception cref="TallyApiException">The server refused the call.</exception>
    public Task<Plan> CreateAsync(CreatePlanParams parameters, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        Guard.NotEmpty(parameters.PlanId, "CreatePlanParams.PlanId", nameof(parameters));
        return _transport.PostAsync("plans.create", parameters, C.Default.CreatePlanParams, C.Default.Plan, mutating: true, ct);
    }

    /// <summary><c>plans.get</c>.</summary>
    /// <param name="parameters">Plan id and optional version.</param>
    /// <param name="ct">Cancels the call, including waits between retries.</param>
    /// <returns>The plan.</returns>
    /// <exception cref="ArgumentException">Empty plan id.</exception>
    /// <exception cref="TallyApiException">The server refused the call (404 <c>product_not_found</c>).</exception>
    public Task<Plan> GetAsync(GetPlanParams parameters, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        Guard.NotEmpty(parameters.PlanId, "GetPlanParams.PlanId", nameof(parameters));
        return _transport.PostAsync("plans.get", parameters, C.Default.GetPlanParams, C.Default.Plan, mutating: false, ct);
    }

    /// <summary><c>plans.list</c>.</summary>
    /// <param name="parameters">Optional customer (adds eligibility) and archive/version filters.</param>
    /// <param name="ct">Cancels the call, including waits between retries.</param>
    /// <returns>The plans (unpaginated).</returns>
    /// <exception cref="TallyApiException">The server refused the call.</exception>
    public Task<ListResponse<Plan>> ListAsync(ListPlansParams? parameters = null, CancellationToken ct = default) =>
        _transport.PostAsync("plans.list", parameters ?? new ListPlansParams(), C.Default.ListPlansParams, C.Default.ListResponsePlan, mutating: false, ct);

    /// <summary><c>plans.update</c>.</summary>
    /// <param name="parameters">
    /// Plan id and the fields to change; setting <see cref="UpdatePlanParams.Price"/> or
    /// <see cref="UpdatePlanParams.FreeTrial"/> to null sends an explicit null, which removes it.
    /// </param>
    /// <param name="ct">Cancels the call, including waits between retries.</param>
    /// <returns>The updated plan.</returns>
    /// <exception cref="ArgumentException">Empty plan id.</exception>
    /// <exception cref="TallyApiException">The server refused the call.</exception>
    public Task<Plan> UpdateAsync(UpdatePlanParams parameters, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        Guard.NotEmpty(parameters.PlanId, "UpdatePlanParams.PlanId", nameof(parameters));
        Guard.NullOrNotEmpty(parameters.NewPlanId, "UpdatePlanParams.NewPlanId", nameof(parameters));
        return _transport.PostAsync("plans.update", parameters, C.Default.UpdatePlanParams, ExplicitNulls.Of(parameters), C.Default.Plan, mutating: true, ct);
    }

    /// <summary><c>plans.delete</c>.</summary>
    /// <param name="parameters">Plan id.</param>
    /// <param name="ct">Cancels the call, including waits between retries.</param>
    /// <returns><c>{success: true}</c>.</returns>
    /// <exception cref="ArgumentException">Empty plan id.</exception>
    /// <exception cref="TallyApiException">The server refused the call.</exception>
    public Task<SuccessResponse> DeleteAsync(DeletePlanParams parameters, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        Guard.NotEmpty(parameters.PlanId, "DeletePlanParams.PlanId", nameof(parameters));
        return _transport.PostAsync("plans.delete", parameters, C.Default.DeletePlanParams, C.Default.SuccessResponse, mutating: true, ct);
    }
}
