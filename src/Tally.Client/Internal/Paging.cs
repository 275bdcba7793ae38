using System.Runtime.CompilerServices;
using System.Text.Json.Serialization.Metadata;
using Tally.Contracts;

namespace Tally.Client.Internal;

/// <summary>Walks a cursor-paginated list route page by page.</summary>
internal static class Paging
{
    /// <summary>
    /// Sends <paramref name="firstBody"/>, then the same body with <c>start_cursor</c> set to each <c>next_cursor</c>,
    /// until a page has none. Pages are fetched lazily, one at a time.
    /// </summary>
    public static async IAsyncEnumerable<T> AllAsync<T>(TallyTransport transport, string route, byte[] firstBody,
        JsonTypeInfo<CursorListResponse<T>> info, [EnumeratorCancellation] CancellationToken ct = default)
    {
        var body = firstBody;
        string? previous = null;
        while (true)
        {
            var page = await transport.SendAsync(route, body, info, null, ct).ConfigureAwait(false);
            foreach (var item in page.List)
            {
                yield return item;
            }
            if (string.IsNullOrEmpty(page.NextCursor))
            {
                yield break;
            }
            if (page.NextCursor == previous)
            {
                throw new InvalidOperationException($"{route} returned the same next_cursor twice; stopping to avoid an endless walk.");
            }
            previous = page.NextCursor;
            body = JsonBody.WithString(firstBody, "start_cursor", page.NextCursor);
        }
    }
}
