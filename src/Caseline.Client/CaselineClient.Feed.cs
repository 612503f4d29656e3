using System.Buffers;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Threading.Channels;
using Caseline.Client.Http;

namespace Caseline.Client;

public sealed partial class CaselineClient
{
    private const int PagesAhead = 4;

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

    /// <summary>
    /// The feed's last position and the server's clock: a consumer's lag is <see cref="FeedHead.Position"/>
    /// minus its checkpoint, and a webhook receiver compares <see cref="FeedHead.At"/> with its own clock.
    /// </summary>
    public async Task<FeedHead> GetFeedHeadAsync(CancellationToken cancellationToken = default)
    {
        using var response = await SendCheckedAsync(() => new HttpRequestMessage(HttpMethod.Get, "api/v1/transmit/head"), Retry.Idempotent, cancellationToken).ConfigureAwait(false);
        return await ReadAsync(response, ClientJsonContext.Default.FeedHead, cancellationToken).ConfigureAwait(false);
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
    /// Reads a paged message list from <paramref name="first"/> on: runs of linked pages, then, for a following
    /// reader at the end of the log, a long poll after the last page's cursor, held open for <paramref name="wait"/>.
    /// </summary>
    private async IAsyncEnumerable<List<FeedItem>> ReadPagesAsync(string first, bool follow, TimeSpan wait, [EnumeratorCancellation] CancellationToken ct)
    {
        var path = first;
        while (true)
        {
            string? cursor = null;
            var hasMore = false;
            await foreach (var page in ReadLinkedPagesAsync(path, ct).ConfigureAwait(false))
            {
                (cursor, hasMore) = (page.Cursor, page.HasMore);
                if (page.Items.Count > 0)
                {
                    yield return page.Items;
                }
            }

            if (hasMore)
            {
                path = WithAfter(first, cursor);
            }
            else if (follow)
            {
                path = WithAfter(first, cursor) + "&wait=" + ((int)wait.TotalSeconds).ToString(CultureInfo.InvariantCulture);
            }
            else
            {
                yield break;
            }
        }
    }

    /// <summary>
    /// A page and the pages its <c>Link</c> headers lead to. Each next page is asked for as soon as the headers
    /// naming it arrive, up to <see cref="PagesAhead"/> pages before the one being read, so the server is writing
    /// the next pages while this one is parsed.
    /// </summary>
    private async IAsyncEnumerable<(List<FeedItem> Items, string? Cursor, bool HasMore)> ReadLinkedPagesAsync(string path, [EnumeratorCancellation] CancellationToken ct)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var pages = Channel.CreateBounded<Task<HttpResponseMessage>>(PagesAhead);
        var asking = Task.Run(async () =>
        {
            Task<HttpResponseMessage>? unqueued = null;
            try
            {
                var pending = FetchAsync(path, stop.Token);
                while (pending is not null)
                {
                    unqueued = pending;
                    await pages.Writer.WriteAsync(pending, stop.Token).ConfigureAwait(false);
                    unqueued = null;
                    var response = await pending.ConfigureAwait(false);
                    pending = response.Headers.TryGetValues("Link", out var links) && NextLink(links) is { } link ? FetchAsync(link, stop.Token) : null;
                }
            }
            catch (Exception) when (stop.IsCancellationRequested)
            {
                // The reader stopped early: a page asked for but never queued is let go here.
                _ = unqueued?.ContinueWith(
                    t =>
                    {
                        if (t.IsCompletedSuccessfully)
                        {
                            t.Result.Dispose();
                        }
                        else
                        {
                            _ = t.Exception; // observed, so it is not reported as unobserved
                        }
                    }, TaskScheduler.Default);
            }
            catch (Exception)
            {
                // The failed page is already queued: the reader gets its exception when it reaches it.
            }
            finally
            {
                pages.Writer.TryComplete();
            }
        }, CancellationToken.None);

        try
        {
            await foreach (var pending in pages.Reader.ReadAllAsync(ct).ConfigureAwait(false))
            {
                (List<FeedItem> Items, string? Cursor, bool HasMore) page;
                // A page is hundreds of kilobytes: read into a pooled buffer, since a fresh array each time would land on the
                // large object heap; each message then gets its own small copy, which outlives the page.
                var buffer = ArrayPool<byte>.Shared.Rent(256 * 1024);
                try
                {
                    var length = 0;
                    using (var response = await pending.ConfigureAwait(false))
                    {
                        var stream = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
                        await using (stream.ConfigureAwait(false))
                        {
                            int read;
                            while ((read = await stream.ReadAsync(buffer.AsMemory(length), ct).ConfigureAwait(false)) > 0)
                            {
                                length += read;
                                if (length == buffer.Length)
                                {
                                    var larger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                                    buffer.AsSpan(0, length).CopyTo(larger);
                                    ArrayPool<byte>.Shared.Return(buffer);
                                    buffer = larger;
                                }
                            }
                        }
                    }

                    page = ParsePage(buffer.AsSpan(0, length));
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                }

                yield return page;
            }
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            await asking.ConfigureAwait(false);
            while (pages.Reader.TryRead(out var unread))
            {
                try
                {
                    (await unread.ConfigureAwait(false)).Dispose();
                }
                catch (Exception e) when (e is CaselineException or OperationCanceledException)
                {
                    // A page asked for ahead and not wanted any more.
                }
            }
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
    /// Splits a page into items, each with a copy of its message's bytes exactly as the server stored them.
    /// </summary>
    internal static (List<FeedItem> Items, string? Cursor, bool HasMore) ParsePage(ReadOnlySpan<byte> page)
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

    private static FeedItem ReadEntry(ref Utf8JsonReader reader, ReadOnlySpan<byte> page)
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
                body = page[start..(int)reader.BytesConsumed].ToArray();
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
