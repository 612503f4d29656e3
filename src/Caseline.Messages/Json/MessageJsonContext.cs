using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Caseline.Messages.Json;

/// <summary>
/// Source-generated JSON metadata for the wire contract. Servers, the SDK and the CLI add it to
/// their own resolver chains; <see cref="MessageWriter"/> and <see cref="MessageReader"/> use the
/// two configured instances below.
/// </summary>
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(ClientMessage))]
[JsonSerializable(typeof(SectionDetails))]
[JsonSerializable(typeof(PersonalDetails))]
[JsonSerializable(typeof(AccountDetails))]
[JsonSerializable(typeof(EmailDetails))]
[JsonSerializable(typeof(AddressDetails))]
[JsonSerializable(typeof(ContactDetails))]
[JsonSerializable(typeof(VehicleDetails))]
[JsonSerializable(typeof(EmploymentDetails))]
[JsonSerializable(typeof(CaseDetails))]
[JsonSerializable(typeof(Offense))]
[JsonSerializable(typeof(ProtectiveOrderDetails))]
[JsonSerializable(typeof(ClientProfile))]
public sealed partial class MessageJsonContext : JsonSerializerContext
{
    /// <summary>
    /// Emitting: names exactly as declared, <c>null</c> for missing values, non-ASCII text as UTF-8
    /// rather than <c>\u</c> escapes (the body is JSON, never embedded in HTML; <c>&lt;</c> and
    /// <c>&gt;</c> are refused by validation anyway).
    /// </summary>
    internal static MessageJsonContext Writing { get; } = new(new JsonSerializerOptions
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });

    /// <summary>Reading: property names matched case-insensitively, unknown properties skipped.</summary>
    internal static MessageJsonContext Reading { get; } = new(new JsonSerializerOptions
    {
        PropertyNameCaseInsensitive = true,
    });

    internal static JsonWriterOptions WriterOptions { get; } = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        SkipValidation = true,
    };
}
