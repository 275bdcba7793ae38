using Tally.Client.Internal;
using Tally.Contracts;
using C = Tally.Contracts.TallyJsonContext;

namespace Tally.Client;

/// <summary><c>features.*</c>: the catalog's metered, boolean and credit-system features.</summary>
public sealed class FeaturesClient
{
    private static readonly byte[] EmptyObject = "{}"u8.ToArray();

    private readonly TallyTransport _transport;

    internal FeaturesClient(TallyTransport transport) => _transport = transport;

    /// <summary><c>features.create</c>.</summary>
    /// <param name="parameters">Id, name and type of the feature.</param>
    /// <param name="ct">Cancels the call, including waits between retries.</param>
    /// <returns>The new feature.</returns>
    /// <exception cref="ArgumentException">Empty feature id.</exception>
    /// <exception cref="TallyApiException">The server refused the call (409 <c>duplicate_feature_id</c>, for example).</exception>
    public Task<Feature> CreateAsync(CreateFeatureParams parameters, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        Guard.NotEmpty(parameters.FeatureId, "CreateFeatureParams.FeatureId", nameof(parameters));
        return _transport.PostAsync("features.create", parameters, C.Default.CreateFeatureParams, C.Default.Feature, mutating: true, ct);
    }

    /// <summary><c>features.get</c>.</summary>
    /// <param name="parameters">Feature id.</param>
    /// <param name="ct">Cancels the call, including waits between retries.</param>
    /// <returns>The feature.</returns>
    /// <exception cref="ArgumentException">Empty feature id.</exception>
    /// <exception cref="TallyApiException">The server refused the call (404 <c>feature_not_found</c>).</exception>
    public Task<Feature> GetAsync(GetFeatureParams parameters, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        Guard.NotEmpty(parameters.FeatureId, "GetFeatureParams.FeatureId", nameof(parameters));
        return _transport.PostAsync("features.get", parameters, C.Default.GetFeatureParams, C.Default.Feature, mutating: false, ct);
    }

    /// <summary><c>features.list</c>: every feature of the environment.</summary>
    /// <param name="ct">Cancels the call, including waits between retries.</param>
    /// <returns>All features (unpaginated).</returns>
    /// <exception cref="TallyApiException">The server refused the call.</exception>
    public Task<ListResponse<Feature>> ListAsync(CancellationToken ct = default) =>
        _transport.SendAsync("features.list", EmptyObject, C.Default.ListResponseFeature, null, ct);

    /// <summary><c>features.update</c>.</summary>
    /// <param name="parameters">Feature id and the fields to change.</param>
    /// <param name="ct">Cancels the call, including waits between retries.</param>
    /// <returns>The updated feature.</returns>
    /// <exception cref="ArgumentException">Empty feature id.</exception>
    /// <exception cref="TallyApiException">The server refused the call.</exception>
    public Task<Feature> UpdateAsync(UpdateFeatureParams parameters, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        Guard.NotEmpty(parameters.FeatureId, "UpdateFeatureParams.FeatureId", nameof(parameters));
        Guard.NullOrNotEmpty(parameters.NewFeatureId, "UpdateFeatureParams.NewFeatureId", nameof(parameters));
        return _transport.PostAsync("features.update", parameters, C.Default.UpdateFeatureParams, C.Default.Feature, mutating: true, ct);
    }

    /// <summary><c>features.delete</c>.</summary>
    /// <param name="parameters">Feature id.</param>
    /// <param name="ct">Cancels the call, including waits between retries.</param>
    /// <returns><c>{success: true}</c>.</returns>
    /// <exception cref="ArgumentException">Empty feature id.</exception>
    /// <exception cref="TallyApiException">The server refused the call.</exception>
    public Task<SuccessResponse> DeleteAsync(DeleteFeatureParams parameters, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        Guard.NotEmpty(parameters.FeatureId, "DeleteFeatureParams.FeatureId", nameof(parameters));
        return _transport.PostAsync("features.delete", parameters, C.Default.DeleteFeatureParams, C.Default.SuccessResponse, mutating: true, ct);
    }
}
