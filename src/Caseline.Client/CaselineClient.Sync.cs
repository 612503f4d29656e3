using System.Net;
using System.Net.Http.Json;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Caseline.Client.Http;
using Caseline.Messages;
using Caseline.Messages.Json;

namespace Caseline.Client;

public sealed partial class CaselineClient
{
    private const string Json = "application/json";

    /// <summary>Creates a client (<c>POST /api/v1/clients</c>); one <c>… Created</c> message per section given with a value.</summary>
    /// <exception cref="CaselineException">409 when the client exists; 400 with <see cref="CaselineException.Errors"/> when a field is invalid.</exception>
    public async Task<ClientProfile> CreateClientAsync(string clientId, ClientSections sections, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sections);
        var body = ClientBody(clientId, sections);
        using var response = await SendCheckedAsync(() => new HttpRequestMessage(HttpMethod.Post, "api/v1/clients") { Content = JsonContent(body) }, Retry.NotIdempotent, cancellationToken).ConfigureAwait(false);
        return await ReadAsync(response, MessageJsonContext.Default.ClientProfile, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Creates or replaces a client's own sections (<c>PUT /api/v1/clients/{clientId}</c>). Sections left null in
    /// <paramref name="sections"/> stay as they are; sections given are replaced whole. Repeating it changes nothing.
    /// </summary>
    public async Task<Written<ClientProfile>> PutClientAsync(string clientId, ClientSections sections, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sections);
        var body = ClientBody(null, sections);
        using var response = await SendCheckedAsync(() => new HttpRequestMessage(HttpMethod.Put, ClientPath(clientId)) { Content = JsonContent(body) }, Retry.Idempotent, cancellationToken).ConfigureAwait(false);
        return new(await ReadAsync(response, MessageJsonContext.Default.ClientProfile, cancellationToken).ConfigureAwait(false), response.StatusCode == HttpStatusCode.Created);
    }

    /// <summary>The client's whole profile, or, with <paramref name="asOf"/>, the profile as it stood at that instant; null when there was no such client.</summary>
    public async Task<ClientProfile?> GetClientAsync(string clientId, DateTimeOffset? asOf = null, CancellationToken cancellationToken = default)
    {
        var path = ClientPath(clientId) + (asOf is { } instant ? "?asOf=" + Uri.EscapeDataString(instant.UtcDateTime.ToString("O", System.Globalization.CultureInfo.InvariantCulture)) : "");
        using var response = await SendCheckedAsync(() => new HttpRequestMessage(HttpMethod.Get, path), Retry.Idempotent, cancellationToken, HttpStatusCode.NotFound).ConfigureAwait(false);
        return response.StatusCode == HttpStatusCode.NotFound ? null : await ReadAsync(response, MessageJsonContext.Default.ClientProfile, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The agency's clients matching <paramref name="query"/>, in identifier order, fetching pages of <paramref name="pageSize"/> as the caller enumerates.</summary>
    public IAsyncEnumerable<ClientSummary> ListClientsAsync(ClientQuery? query = null, int pageSize = 100, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(pageSize, 1);
        var filters = new[] { ("name", query?.Name), ("status", query?.Status), ("caseload", query?.Caseload), ("officer", query?.Officer) }
            .Where(f => f.Item2 is not null).Select(f => $"{f.Item1}={Uri.EscapeDataString(f.Item2!)}");
        var basePath = $"api/v1/clients?limit={pageSize}" + string.Concat(filters.Select(f => "&" + f));
        return PagedAsync(basePath, ClientJsonContext.Default.ClientListPage, page => (page.Clients, page.Cursor, page.HasMore), cancellationToken);
    }

    /// <summary>
    /// The items of a cursor-paged list (<c>?after=&lt;cursor&gt;</c>), fetching the next page only when the caller has
    /// enumerated this one.
    /// </summary>
    private async IAsyncEnumerable<TItem> PagedAsync<TPage, TItem>(
        string basePath, JsonTypeInfo<TPage> typeInfo, Func<TPage, (IReadOnlyList<TItem> Items, string? Cursor, bool HasMore)> read,
        [EnumeratorCancellation] CancellationToken ct)
    {
        string? cursor = null;
        while (true)
        {
            var path = cursor is null ? basePath : $"{basePath}&after={Uri.EscapeDataString(cursor)}";
            using var response = await SendCheckedAsync(() => new HttpRequestMessage(HttpMethod.Get, path), Retry.Idempotent, ct).ConfigureAwait(false);
            var (items, next, hasMore) = read(await ReadAsync(response, typeInfo, ct).ConfigureAwait(false));
            foreach (var item in items)
            {
                yield return item;
            }

            if (!hasMore)
            {
                yield break;
            }

            cursor = next;
        }
    }

    /// <summary>The client's messages in log order (<c>GET /api/v1/clients/{clientId}/messages</c>), paged as the caller enumerates.</summary>
    /// <exception cref="CaselineException">404 when there is no such client.</exception>
    public async IAsyncEnumerable<FeedItem> GetTimelineAsync(string clientId, int pageSize = 100, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var page in ReadPagesAsync($"{ClientPath(clientId)}/messages?limit={pageSize}", follow: false, TimeSpan.Zero, cancellationToken).ConfigureAwait(false))
        {
            foreach (var item in page)
            {
                yield return item;
            }
        }
    }

    /// <summary>Creates or replaces one item (<c>PUT /api/v1/clients/{clientId}/{collection}/{item.IntegrationId}</c>).</summary>
    /// <exception cref="CaselineException">404 when there is no such client; 400 when a field is invalid.</exception>
    public async Task<Written<T>> PutItemAsync<T>(string clientId, T item, CancellationToken cancellationToken = default)
        where T : ItemDetails
    {
        ArgumentNullException.ThrowIfNull(item);
        var typeInfo = TypeInfo<T>();
        var body = JsonSerializer.SerializeToUtf8Bytes(item, typeInfo);
        var path = ItemPath<T>(clientId, item.IntegrationId);
        using var response = await SendCheckedAsync(() => new HttpRequestMessage(HttpMethod.Put, path) { Content = JsonContent(body) }, Retry.Idempotent, cancellationToken).ConfigureAwait(false);
        return new(await ReadAsync(response, typeInfo, cancellationToken).ConfigureAwait(false), response.StatusCode == HttpStatusCode.Created);
    }

    /// <summary>The client's items of one section (<typeparamref name="T"/>: <see cref="AddressDetails"/>, <see cref="CaseDetails"/>, …).</summary>
    /// <exception cref="CaselineException">404 when there is no such client.</exception>
    public async Task<IReadOnlyList<T>> GetItemsAsync<T>(string clientId, CancellationToken cancellationToken = default)
        where T : ItemDetails
    {
        var path = $"{ClientPath(clientId)}/{SectionOf<T>().CollectionName}";
        using var response = await SendCheckedAsync(() => new HttpRequestMessage(HttpMethod.Get, path), Retry.Idempotent, cancellationToken).ConfigureAwait(false);
        using var items = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false), default, cancellationToken).ConfigureAwait(false);
        var typeInfo = TypeInfo<T>();
        return [.. items.RootElement.EnumerateArray().Select(item => item.Deserialize(typeInfo)!)];
    }

    /// <summary>One item, or null when the client has no such item.</summary>
    /// <exception cref="CaselineException">404 when there is no such client.</exception>
    public async Task<T?> GetItemAsync<T>(string clientId, string itemId, CancellationToken cancellationToken = default)
        where T : ItemDetails
    {
        // The client must exist; only then does a 404 mean "no such item".
        var items = await GetItemsAsync<T>(clientId, cancellationToken).ConfigureAwait(false);
        return items.FirstOrDefault(i => string.Equals(i.IntegrationId, itemId, StringComparison.Ordinal));
    }

    /// <summary>Removes one item, emitting <c>… Removed</c>; false when there was no such item (or client) to remove.</summary>
    public async Task<bool> DeleteItemAsync<T>(string clientId, string itemId, CancellationToken cancellationToken = default)
        where T : ItemDetails
    {
        var path = ItemPath<T>(clientId, itemId);
        using var response = await SendCheckedAsync(() => new HttpRequestMessage(HttpMethod.Delete, path), Retry.Idempotent, cancellationToken, HttpStatusCode.NotFound).ConfigureAwait(false);
        return response.StatusCode != HttpStatusCode.NotFound;
    }

    /// <summary>A lookup list (<see cref="LookupKinds"/>), for drop-downs and validation in the CMS.</summary>
    public async Task<IReadOnlyList<string>> GetLookupAsync(string kind, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(kind);
        using var response = await SendCheckedAsync(() => new HttpRequestMessage(HttpMethod.Get, $"api/v1/lookups/{Uri.EscapeDataString(kind)}"), Retry.Idempotent, cancellationToken).ConfigureAwait(false);
        return (await ReadAsync(response, ClientJsonContext.Default.LookupList, cancellationToken).ConfigureAwait(false)).Values;
    }

    private static string ClientPath(string clientId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(clientId);
        return "api/v1/clients/" + Uri.EscapeDataString(clientId);
    }

    private static string ItemPath<T>(string clientId, string itemId)
        where T : ItemDetails
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(itemId);
        return $"{ClientPath(clientId)}/{SectionOf<T>().CollectionName}/{Uri.EscapeDataString(itemId)}";
    }

    private static Section SectionOf<T>()
        where T : ItemDetails =>
        Section.All.First(s => s.DetailsType == typeof(T));

    private static JsonTypeInfo<T> TypeInfo<T>() => (JsonTypeInfo<T>)MessageJsonContext.Default.Options.GetTypeInfo(typeof(T));

    /// <summary>A client body: the identifier when creating, then the fields of each section given (null fields too, so the section is replaced whole).</summary>
    private static byte[] ClientBody(string? clientId, ClientSections sections)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            if (clientId is not null)
            {
                writer.WriteString("IntegrationId", clientId);
            }

            foreach (SectionDetails? section in new SectionDetails?[] { sections.Personal, sections.Account, sections.Email })
            {
                if (section is null)
                {
                    continue;
                }

                using var fields = JsonDocument.Parse(MessageWriter.DetailsToUtf8Bytes(section));
                foreach (var field in fields.RootElement.EnumerateObject().Where(f => f.Name != "SubType"))
                {
                    field.WriteTo(writer);
                }
            }

            writer.WriteEndObject();
        }

        return buffer.ToArray();
    }

    private static ByteArrayContent JsonContent(byte[] body) =>
        new(body) { Headers = { ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(Json) { CharSet = Encoding.UTF8.WebName } } };

    private static async Task<T> ReadAsync<T>(HttpResponseMessage response, JsonTypeInfo<T> typeInfo, CancellationToken ct) =>
        await response.Content.ReadFromJsonAsync(typeInfo, ct).ConfigureAwait(false)
        ?? throw new CaselineException(response.StatusCode, "The server answered an empty body.");
}
