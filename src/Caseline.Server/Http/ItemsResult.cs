using System.Text.Json;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;

namespace Caseline.Server.Http;

/// <summary>
/// One item, or a list of items, serialised as their own section type. (Serialising them as
/// <c>object</c> would add the <c>SubType</c> discriminator, which profile items do not carry.)
/// </summary>
internal sealed class ItemsResult(Type itemType, IReadOnlyList<object> items, bool single, int statusCode = StatusCodes.Status200OK, string? location = null) : IResult
{
    public static ItemsResult One(object item, int statusCode = StatusCodes.Status200OK, string? location = null) =>
        new(item.GetType(), [item], single: true, statusCode, location);

    public static ItemsResult Many(Type itemType, IReadOnlyList<object> items) => new(itemType, items, single: false);

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        var options = httpContext.RequestServices.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions;
        var typeInfo = options.GetTypeInfo(itemType);
        httpContext.Response.StatusCode = statusCode;
        httpContext.Response.ContentType = "application/json; charset=utf-8";
        if (location is not null)
        {
            httpContext.Response.Headers.Location = location;
        }

        await using var writer = new Utf8JsonWriter(httpContext.Response.BodyWriter, new JsonWriterOptions { Encoder = options.Encoder });
        if (!single)
        {
            writer.WriteStartArray();
        }

        foreach (var item in items)
        {
            JsonSerializer.Serialize(writer, item, typeInfo);
        }

        if (!single)
        {
            writer.WriteEndArray();
        }

        await writer.FlushAsync(httpContext.RequestAborted);
    }
}
