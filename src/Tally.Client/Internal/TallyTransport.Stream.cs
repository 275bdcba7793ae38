using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Tally.Client.Internal;

internal sealed partial class TallyTransport
{
    /// <summary>
    /// Sends one read-only call whose answer is NDJSON and yields each line as it arrives, so memory stays constant
    /// however long the answer is. One attempt: a stream half read cannot be retried without repeating what the caller
    /// already saw. An error status before the body is thrown as <see cref="TallyApiException"/>.
    /// </summary>
    public async IAsyncEnumerable<T> StreamLinesAsync<TRequest, T>(string route, TRequest request, JsonTypeInfo<TRequest> requestInfo,
        JsonTypeInfo<T> lineInfo, [EnumeratorCancellation] CancellationToken ct)
    {
        using var message = new HttpRequestMessage(HttpMethod.Post, new Uri(_baseUrl, "v1/" + route));
        message.Content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(request, requestInfo));
        message.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        message.Headers.Authorization = _authorization;
        message.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/x-ndjson"));
        message.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        message.Headers.TryAddWithoutValidation("x-api-version", _apiVersion);
        message.Headers.TryAddWithoutValidation("User-Agent", UserAgent);
        using var response = await _http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            var bytes = await response.Content.ReadAsByteArrayAsync(ct).ConfigureAwait(false);
            throw ToException((int)response.StatusCode, bytes, RetryAfterOf(response));
        }
        await using var stream = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
        using var reader = new StreamReader(stream);
        while (await reader.ReadLineAsync(ct).ConfigureAwait(false) is { } line)
        {
            if (line.Length == 0)
            {
                continue;
            }
            yield return JsonSerializer.Deserialize(line, lineInfo)
                ?? throw new TallyApiException((int)response.StatusCode, "invalid_response", $"{route} sent a null line", null);
        }
    }
}
