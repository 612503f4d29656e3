using System.Reflection;
using System.Text.Json;
using Caseline.Server.Sync;
using Microsoft.AspNetCore.Http.Metadata;

namespace Caseline.Server.Http;

/// <summary>The documented shape of a page of messages (the bytes are written by <see cref="MessagePage"/>).</summary>
internal sealed record MessagePageDocument(IReadOnlyList<MessageEntryDocument> Messages, string? Cursor, bool HasMore);

/// <summary>
/// One message of a page: its feed position, the message exactly as emitted, and whether the credentials
/// reading it wrote it (same API client and same user), so a CMS that syncs both ways can skip its own changes.
/// </summary>
internal sealed record MessageEntryDocument(long Position, JsonElement Message, bool OwnEcho);

/// <summary>
/// A page of stored messages, streamed: each message's bytes are copied as stored, never parsed
/// and re-serialised, so a reader gets exactly what the webhooks send.
/// </summary>
internal sealed class MessagePage(IReadOnlyList<StoredMessage> messages, string? cursor, bool hasMore) : IResult, IEndpointMetadataProvider
{
    public async Task ExecuteAsync(HttpContext httpContext)
    {
        httpContext.Response.ContentType = "application/json; charset=utf-8";
        if (hasMore)
        {
            // The next page's address before the body, so a reader can ask for it while it is still reading this one.
            httpContext.Response.Headers.Link = $"<{NextPage(httpContext.Request, cursor!)}>; rel=\"next\"";
        }

        await using var writer = new Utf8JsonWriter(httpContext.Response.BodyWriter);
        writer.WriteStartObject();
        writer.WriteStartArray("Messages");
        foreach (var message in messages)
        {
            writer.WriteStartObject();
            writer.WriteNumber("Position", message.Position);
            writer.WritePropertyName("Message");
            writer.WriteRawValue(message.Body, skipInputValidation: true);
            writer.WriteBoolean("OwnEcho", message.OwnEcho);
            writer.WriteEndObject();
            if (writer.BytesPending > 32 * 1024)
            {
                await writer.FlushAsync(httpContext.RequestAborted).ConfigureAwait(false);
            }
        }

        writer.WriteEndArray();
        writer.WriteString("Cursor", cursor);
        writer.WriteBoolean("HasMore", hasMore);
        writer.WriteEndObject();
        await writer.FlushAsync(httpContext.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>The same request with <c>after</c> set to <paramref name="cursor"/> (which replaces an <c>afterPosition</c>).</summary>
    private static string NextPage(HttpRequest request, string cursor)
    {
        var query = QueryString.Create(request.Query
            .Where(p => !string.Equals(p.Key, "after", StringComparison.OrdinalIgnoreCase) && !string.Equals(p.Key, "afterPosition", StringComparison.OrdinalIgnoreCase))
            .SelectMany(p => p.Value.Select(v => new KeyValuePair<string, string?>(p.Key, v)))
            .Append(new("after", cursor)));
        return $"{request.PathBase}{request.Path}{query}";
    }

    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder) =>
        builder.Metadata.Add(new ProducesResponseTypeMetadata(StatusCodes.Status200OK, typeof(MessagePageDocument), ["application/json"]));
}
