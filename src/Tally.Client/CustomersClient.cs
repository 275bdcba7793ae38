using System.Text.Json;
using Tally.Client.Internal;
using Tally.Contracts;
using C = Tally.Contracts.TallyJsonContext;

namespace Tally.Client;

/// <summary><c>customers.*</c>.</summary>
public sealed class CustomersClient
{
    private readonly TallyTransport _transport;

    internal CustomersClient(TallyTransport transport) => _transport = transport;

    /// <summary><c>customers.get_or_create</c>: returns the customer, creating it first if it does not exist.</summary>
    /// <param name="parameters">Customer id (null for an id-less customer matched by email) and profile.</param>
    /// <param name="ct">Cancels the call, including waits between retries.</param>
    /// <returns>The customer with its balances.</returns>
    /// <exception cref="ArgumentException">The customer id is an empty string.</exception>
    /// <exception cref="TallyApiException">The server refused the call.</exception>
    public Task<Customer> GetOrCreateAsync(GetOrCreateCustomerParams parameters, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        Guard.NullOrNotEmpty(parameters.CustomerId, "GetOrCreateCustomerParams.CustomerId", nameof(parameters));
        return _transport.PostAsync("customers.get_or_create", parameters, C.Default.GetOrCreateCustomerParams, C.Default.Customer, mutating: true, ct);
    }

    /// <summary><c>customers.get</c>.</summary>
    /// <param name="parameters">Customer id.</param>
    /// <param name="ct">Cancels the call, including waits between retries.</param>
    /// <returns>The customer with its balances, subscriptions and flags.</returns>
    /// <exception cref="ArgumentException">Empty customer id.</exception>
    /// <exception cref="TallyApiException">The server refused the call (404 <c>customer_not_found</c>).</exception>
    public Task<Customer> GetAsync(GetCustomerParams parameters, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        Guard.NotEmpty(parameters.CustomerId, "GetCustomerParams.CustomerId", nameof(parameters));
        return _transport.PostAsync("customers.get", parameters, C.Default.GetCustomerParams, C.Default.Customer, mutating: false, ct);
    }

    /// <summary><c>customers.list</c>: one page, in creation order.</summary>
    /// <param name="parameters">Filters, page size and the cursor of the page (null = first page, default size).</param>
    /// <param name="ct">Cancels the call, including waits between retries.</param>
    /// <returns>The page and the cursor of the next one (null on the last page).</returns>
    /// <exception cref="TallyApiException">The server refused the call.</exception>
    public Task<CursorListResponse<Customer>> ListAsync(ListCustomersParams? parameters = null, CancellationToken ct = default) =>
        _transport.PostAsync("customers.list", parameters ?? new ListCustomersParams(), C.Default.ListCustomersParams,
            C.Default.CursorListResponseCustomer, mutating: false, ct);

    /// <summary>
    /// Every customer matching <paramref name="parameters"/>, following <c>next_cursor</c> from page to page. Pages are
    /// fetched lazily as the sequence is enumerated; <see cref="ListCustomersParams.Limit"/> sets the page size.
    /// </summary>
    /// <param name="parameters">Filters, page size and an optional starting cursor; not modified.</param>
    /// <param name="ct">Cancels the walk.</param>
    /// <returns>The customers, in creation order.</returns>
    public IAsyncEnumerable<Customer> ListAllAsync(ListCustomersParams? parameters = null, CancellationToken ct = default) =>
        Paging.AllAsync(_transport, "customers.list",
            JsonSerializer.SerializeToUtf8Bytes(parameters ?? new ListCustomersParams(), C.Default.ListCustomersParams),
            C.Default.CursorListResponseCustomer, ct);

    /// <summary><c>customers.update</c>: changes profile fields, or moves the customer to <see cref="UpdateCustomerParams.NewCustomerId"/>.</summary>
    /// <param name="parameters">Customer id and the fields to change.</param>
    /// <param name="ct">Cancels the call, including waits between retries.</param>
    /// <returns>The updated customer.</returns>
    /// <exception cref="ArgumentException">Empty customer id.</exception>
    /// <exception cref="TallyApiException">The server refused the call.</exception>
    public Task<Customer> UpdateAsync(UpdateCustomerParams parameters, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        Guard.NotEmpty(parameters.CustomerId, "UpdateCustomerParams.CustomerId", nameof(parameters));
        Guard.NullOrNotEmpty(parameters.NewCustomerId, "UpdateCustomerParams.NewCustomerId", nameof(parameters));
        return _transport.PostAsync("customers.update", parameters, C.Default.UpdateCustomerParams, C.Default.Customer, mutating: true, ct);
    }

    /// <summary><c>customers.delete</c>: deletes the customer with its entities, balances and events.</summary>
    /// <param name="parameters">Customer id.</param>
    /// <param name="ct">Cancels the call, including waits between retries.</param>
    /// <returns><c>{success: true}</c>.</returns>
    /// <exception cref="ArgumentException">Empty customer id.</exception>
    /// <exception cref="TallyApiException">The server refused the call.</exception>
    public Task<SuccessResponse> DeleteAsync(DeleteCustomerParams parameters, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        Guard.NotEmpty(parameters.CustomerId, "DeleteCustomerParams.CustomerId", nameof(parameters));
        return _transport.PostAsync("customers.delete", parameters, C.Default.DeleteCustomerParams, C.Default.SuccessResponse, mutating: true, ct);
    }
}
