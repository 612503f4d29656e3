using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;

namespace Caseline.Client;

public sealed partial class CaselineClient
{
    /// <summary>
    /// The agency's messages after feed position <paramref name="afterPosition"/> (0: from the beginning), in
    /// log order. Pages are fetched as the caller enumerates, the next one asked for while this one is read;
    /// with <see cref="FeedReadOptions.Follow"/> the enumeration long-polls at the end of the log. A position
    /// the caller has checkpointed is where a restarted reader resumes: nothing is skipped, nothing repeated.
    /// </summary>
    public async IAsyncEnumerable<FeedItem> ReadFeedAsync(long afterPosition = 0, FeedReadOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var page in ReadFeedPagesAsync(afterPosition, options, cancellationToken).ConfigureAwait(false))
        {
            foreach (var item in page)
            {
                yield return item;
            }
        }
    }

    /// <summary>The feed as <see cref="ReadFeedAsync"/> reads it, a page at a time (an empty page is never yielded).</summary>
    internal IAsyncEnumerable<List<FeedItem>> ReadFeedPagesAsync(long afterPosition, FeedReadOptions? options, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(afterPosition);
        options ??= new FeedReadOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(options.PageSize, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(options.PageSize, 1000);
        var path = new System.Text.StringBuilder("api/v1/transmit/messages?limit=").Append(options.PageSize.ToString(CultureInfo.InvariantCulture));
        if (options.SubType is not null)
        {
            path.Append("&subType=").Append(Uri.EscapeDataString(options.SubType));
        }

        if (options.ClientId is not null)
        {
            path.Append("&clientId=").Append(Uri.EscapeDataString(options.ClientId));
        }

        path.Append("&afterPosition=").Append(afterPosition.ToString(CultureInfo.InvariantCulture));
        var wait = Math.Clamp((int)Math.Ceiling(options.Wait.TotalSeconds), 1, 60);
        return ReadPagesAsync(path.ToString(), options.Follow, TimeSpan.FromSeconds(wait), cancellationToken);
    }

    /// <summary>
    /// Reads a paged message list from <paramref name="first"/> on. A page that has more names the next page in
    /// its <c>Link</c> header, which is asked for before this page's body is read; at the end, a following
    /// reader asks again after the page's cursor, holding the request open for <paramref name="wait"/>.
    /// </summary>
    private async IAsyncEnumerable<List<FeedItem>> ReadPagesAsync(string first, bool follow, TimeSpan wait, [EnumeratorCancellation] CancellationToken ct)
    {
        var pending = FetchAsync(first, ct);
        while (true)
        {
            Task<HttpResponseMessage>? next = null;
            byte[] body;
            using (var response = await pending.ConfigureAwait(false))
            {
                if (response.Headers.TryGetValues("Link", out var links) && NextLink(links) is { } link)
                {
                    next = FetchAsync(link, ct);
                }

                body = await response.Content.ReadAsByteArrayAsync(ct).ConfigureAwait(false);
            }

            var (items, cursor, hasMore) = ParsePage(body);
            if (items.Count > 0)
            {
                yield return items;
            }

            if (next is null && hasMore)
            {
                next = FetchAsync(WithAfter(first, cursor), ct);
            }
            else if (next is null)
            {
                if (!follow)
                {
                    yield break;
                }

                next = FetchAsync(WithAfter(first, cursor) + "&wait=" + ((int)wait.TotalSeconds).ToString(CultureInfo.InvariantCulture), ct);
            }

            pending = next;
        }
    }

    private Task<HttpResponseMessage> FetchAsync(string path, CancellationToken ct) =>
        SendCheckedAsync(() => new HttpRequestMessage(HttpMethod.Get, path), Retry.Idempotent, ct);

    /// <summary>The path with its <c>afterPosition</c> and <c>after</c> replaced by the page cursor.</summary>
    private static string WithAfter(string path, string? cursor)
    {
        var query = path.IndexOf('?', StringComparison.Ordinal);
        var kept = path[(query + 1)..].Split('&').Where(p => !p.StartsWith("afterPosition=", StringComparison.Ordinal) && !p.StartsWith("after=", StringComparison.Ordinal));
        var rebuilt = path[..(query + 1)] + string.Join('&', kept);
        return cursor is null ? rebuilt : rebuilt + "&after=" + Uri.EscapeDataString(cursor);
    }

    /// <summary>The target of a <c>rel="next"</c> link (a path from the server's root, so a base address with a path still resolves it).</summary>
    private static string? NextLink(IEnumerable<string> links)
    {
        foreach (var link in links)
        {
            var open = link.IndexOf('<', StringComparison.Ordinal);
            var close = link.IndexOf('>', StringComparison.Ordinal);
            if (open >= 0 && close > open && link.Contains("rel=\"next\"", StringComparison.Ordinal))
            {
                return link[(open + 1)..close];
            }
        }

        return null;
    }

    /// <summary>
    /// Splits a page into items without copying: each item's body is the slice of the page that holds its
    /// message, so it stays byte for byte what the server stored.
    /// </summary>
    internal static (List<FeedItem> Items, string? Cursor, bool HasMore) ParsePage(byte[] page)
    {
        var items = new List<FeedItem>();
        string? cursor = null;
        var hasMore = false;
        var reader = new Utf8JsonReader(page);
        Expect(ref reader, JsonTokenType.StartObject);
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("Messages"))
            {
                Expect(ref reader, JsonTokenType.StartArray);
                while (reader.Read() && reader.TokenType == JsonTokenType.StartObject)
                {
                    items.Add(ReadEntry(ref reader, page));
                }
            }
            else if (reader.ValueTextEquals("Cursor"))
            {
                reader.Read();
                cursor = reader.TokenType == JsonTokenType.Null ? null : reader.GetString();
            }
            else if (reader.ValueTextEquals("HasMore"))
            {
                reader.Read();
                hasMore = reader.GetBoolean();
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        return (items, cursor, hasMore);
    }

    private static FeedItem ReadEntry(ref Utf8JsonReader reader, byte[] page)
    {
        long position = 0;
        var ownEcho = false;
        ReadOnlyMemory<byte> body = default;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("Position"))
            {
                reader.Read();
                position = reader.GetInt64();
            }
            else if (reader.ValueTextEquals("Message"))
            {
                reader.Read();
                var start = (int)reader.TokenStartIndex;
                reader.Skip();
                body = page.AsMemory(start, (int)reader.BytesConsumed - start);
            }
            else if (reader.ValueTextEquals("OwnEcho"))
            {
                reader.Read();
                ownEcho = reader.GetBoolean();
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        return new FeedItem(position, body, ownEcho);
    }

    private static void Expect(ref Utf8JsonReader reader, JsonTokenType token)
    {
        if (!reader.Read() || reader.TokenType != token)
        {
            throw new JsonException($"Expected {token} in a page of messages.");
        }
    }
}
