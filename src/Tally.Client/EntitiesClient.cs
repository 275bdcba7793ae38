using System.Text.Json;
using Tally.Client.Internal;
using Tally.Contracts;
using C = Tally.Contracts.TallyJsonContext;

namespace Tally.Client;

/// <summary><c>entities.*</c>: seats, workspaces and other sub-customer balances.</summary>
public sealed class EntitiesClient
{
    private readonly TallyTransport _transport;

    internal EntitiesClient(TallyTransport transport) => _transport = transport;

    /// <summary><c>entities.create</c>.</summary>
    /// <param name="parameters">Customer, entity id and the entity feature it counts against.</param>
    /// <param name="ct">Cancels the call, including waits between retries.</param>
    /// <returns>The new entity with its balances.</returns>
    /// <exception cref="ArgumentException">Empty customer, entity or feature id.</exception>
    /// <exception cref="TallyApiException">The server refused the call.</exception>
    public Task<EntityResponse> CreateAsync(CreateEntityParams parameters, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        Guard.NotEmpty(parameters.CustomerId, "CreateEntityParams.CustomerId", nameof(parameters));
        Guard.NotEmpty(parameters.EntityId, "CreateEntityParams.EntityId", nameof(parameters));
        Guard.NotEmpty(parameters.FeatureId, "CreateEntityParams.FeatureId", nameof(parameters));
        return _transport.PostAsync("entities.create", parameters, C.Default.CreateEntityParams, C.Default.EntityResponse, mutating: true, ct);
    }

    /// <summary><c>entities.get</c>.</summary>
    /// <param name="parameters">Entity id, and its customer when entity ids are not unique across customers.</param>
    /// <param name="ct">Cancels the call, including waits between retries.</param>
    /// <returns>The entity with its balances.</returns>
    /// <exception cref="ArgumentException">Empty entity id, or an empty-string customer id.</exception>
    /// <exception cref="TallyApiException">The server refused the call (404 <c>entity_not_found</c>).</exception>
    public Task<EntityResponse> GetAsync(GetEntityParams parameters, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        Guard.NotEmpty(parameters.EntityId, "GetEntityParams.EntityId", nameof(parameters));
        Guard.NullOrNotEmpty(parameters.CustomerId, "GetEntityParams.CustomerId", nameof(parameters));
        return _transport.PostAsync("entities.get", parameters, C.Default.GetEntityParams, C.Default.EntityResponse, mutating: false, ct);
    }

    /// <summary><c>entities.list</c>: one page.</summary>
    /// <param name="parameters">Filters, page size and the cursor of the page (null = first page, default size).</param>
    /// <param name="ct">Cancels the call, including waits between retries.</param>
    /// <returns>The page and the cursor of the next one (null on the last page).</returns>
    /// <exception cref="TallyApiException">The server refused the call.</exception>
    public Task<CursorListResponse<EntityResponse>> ListAsync(ListEntitiesParams? parameters = null, CancellationToken ct = default) =>
        _transport.PostAsync("entities.list", parameters ?? new ListEntitiesParams(), C.Default.ListEntitiesParams,
            C.Default.CursorListResponseEntityResponse, mutating: false, ct);

    /// <summary>Every entity matching <paramref name="parameters"/>, following <c>next_cursor</c> lazily from page to page.</summary>
    /// <param name="parameters">Filters, page size and an optional starting cursor; not modified.</param>
    /// <param name="ct">Cancels the walk.</param>
    /// <returns>The entities.</returns>
    public IAsyncEnumerable<EntityResponse> ListAllAsync(ListEntitiesParams? parameters = null, CancellationToken ct = default) =>
        Paging.AllAsync(_transport, "entities.list",
            JsonSerializer.SerializeToUtf8Bytes(parameters ?? new ListEntitiesParams(), C.Default.ListEntitiesParams),
            C.Default.CursorListResponseEntityResponse, ct);

    /// <summary><c>entities.update</c>.</summary>
    /// <param name="parameters">Entity id and the fields to change.</param>
    /// <param name="ct">Cancels the call, including waits between retries.</param>
    /// <returns>The updated entity.</returns>
    /// <exception cref="ArgumentException">Empty entity id, or an empty-string customer id.</exception>
    /// <exception cref="TallyApiException">The server refused the call.</exception>
    public Task<EntityResponse> UpdateAsync(UpdateEntityParams parameters, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        Guard.NotEmpty(parameters.EntityId, "UpdateEntityParams.EntityId", nameof(parameters));
        Guard.NullOrNotEmpty(parameters.CustomerId, "UpdateEntityParams.CustomerId", nameof(parameters));
        return _transport.PostAsync("entities.update", parameters, C.Default.UpdateEntityParams, C.Default.EntityResponse, mutating: true, ct);
    }

    /// <summary><c>entities.delete</c>.</summary>
    /// <param name="parameters">Entity id, and its customer when needed.</param>
    /// <param name="ct">Cancels the call, including waits between retries.</param>
    /// <returns><c>{success: true}</c>.</returns>
    /// <exception cref="ArgumentException">Empty entity id, or an empty-string customer id.</exception>
    /// <exception cref="TallyApiException">The server refused the call.</exception>
    public Task<SuccessResponse> DeleteAsync(DeleteEntityParams parameters, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        Guard.NotEmpty(parameters.EntityId, "DeleteEntityParams.EntityId", nameof(parameters));
        Guard.NullOrNotEmpty(parameters.CustomerId, "DeleteEntityParams.CustomerId", nameof(parameters));
        return _transport.PostAsync("entities.delete", parameters, C.Default.DeleteEntityParams, C.Default.SuccessResponse, mutating: true, ct);
    }
}
