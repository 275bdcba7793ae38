using System.Text.Json.Serialization;

namespace Tally.Naive;

/// <summary><c>balances.track</c>: the same body the bench sends to Tally.</summary>
internal sealed record TrackRequest(
    [property: JsonPropertyName("customer_id")] string? CustomerId,
    [property: JsonPropertyName("feature_id")] string? FeatureId,
    [property: JsonPropertyName("value")] decimal? Value);

/// <summary><c>balances.check</c>: the same body the bench sends to Tally.</summary>
internal sealed record CheckRequest(
    [property: JsonPropertyName("customer_id")] string? CustomerId,
    [property: JsonPropertyName("feature_id")] string? FeatureId,
    [property: JsonPropertyName("required_balance")] decimal? RequiredBalance);

/// <summary><c>balances.create</c>: how the bench seeds a balance row (Autumn's field name for the amount).</summary>
internal sealed record CreateRequest(
    [property: JsonPropertyName("customer_id")] string? CustomerId,
    [property: JsonPropertyName("feature_id")] string? FeatureId,
    [property: JsonPropertyName("included_grant")] decimal? IncludedGrant);

internal sealed record TrackAnswer(
    [property: JsonPropertyName("customer_id")] string CustomerId,
    [property: JsonPropertyName("feature_id")] string FeatureId,
    [property: JsonPropertyName("value")] decimal Value,
    [property: JsonPropertyName("balance")] decimal Balance);

internal sealed record CheckAnswer(
    [property: JsonPropertyName("allowed")] bool Allowed,
    [property: JsonPropertyName("customer_id")] string CustomerId,
    [property: JsonPropertyName("feature_id")] string FeatureId,
    [property: JsonPropertyName("required_balance")] decimal RequiredBalance,
    [property: JsonPropertyName("balance")] decimal? Balance);

internal sealed record CreateAnswer(
    [property: JsonPropertyName("customer_id")] string CustomerId,
    [property: JsonPropertyName("feature_id")] string FeatureId,
    [property: JsonPropertyName("created")] bool Created);

internal sealed record ErrorAnswer(
    [property: JsonPropertyName("message")] string Message,
    [property: JsonPropertyName("code")] string Code);

[JsonSerializable(typeof(TrackRequest))]
[JsonSerializable(typeof(CheckRequest))]
[JsonSerializable(typeof(CreateRequest))]
[JsonSerializable(typeof(TrackAnswer))]
[JsonSerializable(typeof(CheckAnswer))]
[JsonSerializable(typeof(CreateAnswer))]
[JsonSerializable(typeof(ErrorAnswer))]
internal sealed partial class NaiveJson : JsonSerializerContext;
