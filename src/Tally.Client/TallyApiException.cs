namespace Tally.Client;

/// <summary>
/// Thrown when the Tally server answers with an HTTP error status (after any retries), or with a success status whose
/// body cannot be read. Network failures are not wrapped: they surface as <see cref="HttpRequestException"/> or, when
/// every attempt ran out of time, <see cref="TimeoutException"/>.
/// </summary>
public sealed class TallyApiException : Exception
{
    /// <summary>The code used when the error body is not Tally's <c>{message, code, env}</c> JSON.</summary>
    public const string UnknownCode = "unknown";

    /// <summary>The code used when a success response cannot be deserialized.</summary>
    public const string InvalidResponseCode = "invalid_response";

    /// <summary>Creates the exception from an answered request.</summary>
    /// <param name="statusCode">HTTP status of the answer.</param>
    /// <param name="code">Machine-readable error code (see <c>Tally.Contracts.ErrorCodes</c>).</param>
    /// <param name="message">Human-readable description from the server.</param>
    /// <param name="env">Environment of the key (<c>sandbox</c> or <c>live</c>), when the server said.</param>
    /// <param name="retryAfter">The server's <c>Retry-After</c>, when it sent one.</param>
    /// <param name="innerException">The parse failure, for <see cref="InvalidResponseCode"/>.</param>
    public TallyApiException(int statusCode, string code, string message, string? env = null, TimeSpan? retryAfter = null,
        Exception? innerException = null)
        : base(message, innerException)
    {
        StatusCode = statusCode;
        Code = code;
        Env = env;
        RetryAfter = retryAfter;
    }

    /// <summary>HTTP status of the answer (for example 404).</summary>
    public int StatusCode { get; }

    /// <summary>
    /// Machine-readable code from the error body (for example <c>customer_not_found</c>), <see cref="UnknownCode"/> when
    /// the body could not be parsed, or <see cref="InvalidResponseCode"/> for an unreadable success body.
    /// </summary>
    public string Code { get; }

    /// <summary>Environment of the secret key (<c>sandbox</c> or <c>live</c>), when the server reported it.</summary>
    public string? Env { get; }

    /// <summary>How long the server asked the client to wait (429 and 503 may carry <c>Retry-After</c>).</summary>
    public TimeSpan? RetryAfter { get; }
}
