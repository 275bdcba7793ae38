using System.Text.Json;
using Tally.Client.Internal;
using Tally.Contracts;
using C = Tally.Contracts.TallyJsonContext;

namespace Tally.Client;

/// <summary><c>balances.*</c>: track usage, check access, and grant, adjust or delete balances.</summary>
public sealed class BalancesClient
{
    /// <summary>Most items <see cref="BatchTrackAsync"/> sends in one request (the server's limit).</summary>
    public const int MaxBatchItems = 1000;

    private readonly TallyTransport _transport;

    internal BalancesClient(TallyTransport transport) => _transport = transport;

    /// <summary>
    /// <c>balances.track</c>: records usage (a negative value refunds) and deducts it from the customer's balances.
    /// The body's <see cref="TrackParams.IdempotencyKey"/> is filled with a fresh key when left empty (the caller's object
    /// is not modified); the same key is resent on every retry, so the usage is recorded at most once.
    /// </summary>
    /// <param name="parameters">Exactly one of <see cref="TrackParams.FeatureId"/> and <see cref="TrackParams.EventName"/>.</param>
    /// <param name="ct">Cancels the call, including waits between retries.</param>
    /// <returns>The balance after the deduction.</returns>
    /// <exception cref="ArgumentException">Empty customer id, or not exactly one of feature id and event name.</exception>
    /// <exception cref="TallyApiException">The server refused the call (for example 404 <c>customer_not_found</c>).</exception>
    public Task<BalancesTrackResponse> TrackAsync(TrackParams parameters, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ValidateTrack(parameters, nameof(TrackParams), nameof(parameters));
        var body = JsonSerializer.SerializeToUtf8Bytes(parameters, C.Default.TrackParams);
        var key = parameters.IdempotencyKey;
        if (string.IsNullOrEmpty(key))
        {
            key = TallyTransport.NewIdempotencyKey();
            body = JsonBody.WithString(body, "idempotency_key", key);
        }
        return _transport.SendAsync("balances.track", body, C.Default.BalancesTrackResponse, key, ct);
    }

    /// <summary>
    /// <c>balances.check</c>: whether the customer may use <see cref="CheckParams.RequiredBalance"/> (default 1) of the
    /// feature. With <see cref="CheckParams.SendEvent"/> it also consumes that amount when allowed, and is then sent with an
    /// idempotency key like any write.
    /// </summary>
    /// <param name="parameters">Customer and feature to check.</param>
    /// <param name="ct">Cancels the call, including waits between retries.</param>
    /// <returns>
    /// The decision. Only when <see cref="TallyClientOptions.FailOpenOnCheck"/> is on and the server is unreachable or
    /// answered 5xx after every retry: <c>allowed: true</c> with null balance and flag.
    /// </returns>
    /// <exception cref="ArgumentException">Empty customer or feature id.</exception>
    /// <exception cref="TallyApiException">The server refused the call, or failed and fail-open is off.</exception>
    /// <exception cref="HttpRequestException">The server was unreachable after every retry and fail-open is off.</exception>
    /// <exception cref="TimeoutException">Every attempt timed out and fail-open is off.</exception>
    public async Task<CheckResponse> CheckAsync(CheckParams parameters, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        Guard.NotEmpty(parameters.CustomerId, "CheckParams.CustomerId", nameof(parameters));
        Guard.NotEmpty(parameters.FeatureId, "CheckParams.FeatureId", nameof(parameters));
        try
        {
            return await _transport.PostAsync("balances.check", parameters, C.Default.CheckParams, C.Default.CheckResponse,
                mutating: parameters.SendEvent == true, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (_transport.FailOpenOnCheck && !ct.IsCancellationRequested && IsServerUnavailable(e))
        {
            return new CheckResponse
            {
                Allowed = true,
                CustomerId = parameters.CustomerId,
                EntityId = parameters.EntityId,
                RequiredBalance = parameters.RequiredBalance,
            };
        }
    }

    /// <summary><c>balances.create</c>: grants a standalone balance (outside any plan).</summary>
    /// <param name="parameters">Customer, feature and grant.</param>
    /// <param name="ct">Cancels the call, including waits between retries.</param>
    /// <returns><c>{success: true}</c>.</returns>
    /// <exception cref="ArgumentException">Empty customer or feature id.</exception>
    /// <exception cref="TallyApiException">The server refused the call.</exception>
    public Task<SuccessResponse> CreateAsync(CreateBalanceParams parameters, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        Guard.NotEmpty(parameters.CustomerId, "CreateBalanceParams.CustomerId", nameof(parameters));
        Guard.NotEmpty(parameters.FeatureId, "CreateBalanceParams.FeatureId", nameof(parameters));
        return _transport.PostAsync("balances.create", parameters, C.Default.CreateBalanceParams, C.Default.SuccessResponse, mutating: true, ct);
    }

    /// <summary>
    /// <c>balances.update</c>: sets the remaining balance (<see cref="UpdateBalanceParams.Remaining"/>) or adds a delta
    /// (<see cref="UpdateBalanceParams.AddToBalance"/>), not both.
    /// </summary>
    /// <param name="parameters">Customer, feature and the change.</param>
    /// <param name="ct">Cancels the call, including waits between retries.</param>
    /// <returns><c>{success: true}</c>.</returns>
    /// <exception cref="ArgumentException">Empty customer or feature id, or both Remaining and AddToBalance set.</exception>
    /// <exception cref="TallyApiException">The server refused the call.</exception>
    public Task<SuccessResponse> UpdateAsync(UpdateBalanceParams parameters, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        Guard.NotEmpty(parameters.CustomerId, "UpdateBalanceParams.CustomerId", nameof(parameters));
        Guard.NotEmpty(parameters.FeatureId, "UpdateBalanceParams.FeatureId", nameof(parameters));
        if (parameters.Remaining is not null && parameters.AddToBalance is not null)
        {
            throw new ArgumentException(
                "UpdateBalanceParams: set either Remaining (an absolute value) or AddToBalance (a delta), not both.", nameof(parameters));
        }
        return _transport.PostAsync("balances.update", parameters, C.Default.UpdateBalanceParams, C.Default.SuccessResponse, mutating: true, ct);
    }

    /// <summary><c>balances.delete</c>: deletes a standalone grant.</summary>
    /// <param name="parameters">Customer and the grant to delete.</param>
    /// <param name="ct">Cancels the call, including waits between retries.</param>
    /// <returns><c>{success: true}</c>.</returns>
    /// <exception cref="ArgumentException">Empty customer id.</exception>
    /// <exception cref="TallyApiException">The server refused the call.</exception>
    public Task<SuccessResponse> DeleteAsync(DeleteBalanceParams parameters, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        Guard.NotEmpty(parameters.CustomerId, "DeleteBalanceParams.CustomerId", nameof(parameters));
        return _transport.PostAsync("balances.delete", parameters, C.Default.DeleteBalanceParams, C.Default.SuccessResponse, mutating: true, ct);
    }

    /// <summary>
    /// <c>balances.batch_track</c>: records up to <see cref="MaxBatchItems"/> tracks in one request. The server checks every
    /// item first (one bad item fails the whole batch and changes nothing), then applies them in order per customer; a
    /// reject-mode item that cannot be covered is skipped. One idempotency key covers the batch and its retries.
    /// </summary>
    /// <param name="items">The tracks, each with exactly one of feature id and event name.</param>
    /// <param name="ct">Cancels the call, including waits between retries.</param>
    /// <returns><c>{success: true}</c> (the server answers 202).</returns>
    /// <exception cref="ArgumentException">No items, too many, or an invalid item (its index is named).</exception>
    /// <exception cref="TallyApiException">The server refused the batch.</exception>
    public Task<SuccessResponse> BatchTrackAsync(IEnumerable<TrackParams> items, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(items);
        var list = items.ToList();
        if (list.Count is 0 or > MaxBatchItems)
        {
            throw new ArgumentException($"A batch must hold 1 to {MaxBatchItems} track requests (got {list.Count}).", nameof(items));
        }
        for (var i = 0; i < list.Count; i++)
        {
            if (list[i] is null)
            {
                throw new ArgumentException($"items[{i}] is null.", nameof(items));
            }
            ValidateTrack(list[i], $"items[{i}]", nameof(items));
        }
        return _transport.PostAsync("balances.batch_track", list, C.Default.ListTrackParams, C.Default.SuccessResponse, mutating: true, ct);
    }

    private static void ValidateTrack(TrackParams p, string name, string paramName)
    {
        Guard.NotEmpty(p.CustomerId, name + ".CustomerId", paramName);
        if ((p.FeatureId is null) == (p.EventName is null))
        {
            throw new ArgumentException($"{name}: set exactly one of FeatureId and EventName.", paramName);
        }
        Guard.NullOrNotEmpty(p.FeatureId, name + ".FeatureId", paramName);
        Guard.NullOrNotEmpty(p.EventName, name + ".EventName", paramName);
    }

    private static bool IsServerUnavailable(Exception e) =>
        e is HttpRequestException or TimeoutException or TallyApiException { StatusCode: >= 500 };
}
