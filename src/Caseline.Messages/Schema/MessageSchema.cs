namespace Caseline.Messages;

/// <summary>
/// The JSON Schema (draft 2020-12) of the client profile message: the envelope and every section.
/// It is the structural contract of what Caseline emits; <see cref="Validation.MessageValidator"/>
/// is stricter where a schema cannot say enough (Unicode categories, time-zone ids, date ranges).
/// </summary>
public static class MessageSchema
{
    /// <summary>The media type to serve the schema with.</summary>
    public const string MediaType = "application/schema+json";

    /// <summary>The schema's <c>$id</c>.</summary>
    public const string Id = "urn:caseline:schema:client-profile-message:v1";

    private static readonly Lazy<string> Schema = new(() =>
    {
        using var stream = typeof(MessageSchema).Assembly.GetManifestResourceStream("Caseline.Messages.client-profile-message.schema.json")
            ?? throw new InvalidOperationException("The schema resource is missing from the assembly.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    });

    /// <summary>The schema's text, as shipped in <c>Schema/client-profile-message.schema.json</c>.</summary>
    public static string Text => Schema.Value;
}
