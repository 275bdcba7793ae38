using Tally.Client.Internal;
using Tally.Contracts;
using C = Tally.Contracts.TallyJsonContext;

namespace Tally.Client;

/// <summary>
/// <c>keys.*</c>: the secret keys of the calling key's organization and environment. A key made here is shown once
/// (the server keeps only its hash); a revoked key stops working at once on the node that revoked it and within 5 s
/// on every other node.
/// </summary>
public sealed class KeysClient
{
    private static readonly byte[] EmptyObject = "{}"u8.ToArray();

    private readonly TallyTransport _transport;

    internal KeysClient(TallyTransport transport) => _transport = transport;

    /// <summary>
    /// <c>keys.create</c>: a new secret key of the caller's environment. Not idempotent: the server cannot replay an
    /// answer that holds a secret it does not keep, so a retry after a lost answer may make a second key (find it with
    /// <see cref="ListAsync"/> and revoke it).
    /// </summary>
    /// <param name="parameters">The key's name (1 to 256 characters).</param>
    /// <param name="ct">Cancels the call, including waits between retries.</param>
    /// <returns>The key with its <see cref="CreatedApiKey.Secret"/>, which cannot be read again.</returns>
    /// <exception cref="ArgumentException">Empty name.</exception>
    /// <exception cref="TallyApiException">The server refused the call (400 <c>invalid_inputs</c> for a name over 256 characters).</exception>
    public Task<CreatedApiKey> CreateAsync(CreateKeyParams parameters, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        Guard.NotEmpty(parameters.Name, "CreateKeyParams.Name", nameof(parameters));
        return _transport.PostAsync("keys.create", parameters, C.Default.CreateKeyParams, C.Default.CreatedApiKey, mutating: false, ct);
    }

    /// <summary><c>keys.list</c>: every key of the caller's environment, active and revoked, oldest first; never a secret.</summary>
    /// <param name="ct">Cancels the call, including waits between retries.</param>
    /// <returns>All keys (unpaginated).</returns>
    /// <exception cref="TallyApiException">The server refused the call.</exception>
    public Task<ListResponse<ApiKey>> ListAsync(CancellationToken ct = default) =>
        _transport.SendAsync("keys.list", EmptyObject, C.Default.ListResponseApiKey, null, ct);

    /// <summary><c>keys.revoke</c>: the key stops working. Revoking a revoked key answers it again.</summary>
    /// <param name="parameters">Id of the key (<c>key_…</c>).</param>
    /// <param name="ct">Cancels the call, including waits between retries.</param>
    /// <returns>The revoked key.</returns>
    /// <exception cref="ArgumentException">Empty id.</exception>
    /// <exception cref="TallyApiException">
    /// The server refused the call: 404 <c>key_not_found</c>, or 400 <c>last_key</c> for the environment's last active key.
    /// </exception>
    public Task<ApiKey> RevokeAsync(RevokeKeyParams parameters, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        Guard.NotEmpty(parameters.Id, "RevokeKeyParams.Id", nameof(parameters));
        return _transport.PostAsync("keys.revoke", parameters, C.Default.RevokeKeyParams, C.Default.ApiKey, mutating: true, ct);
    }
}
