using System.Globalization;
using System.Text.Json;
using Caseline.Messages;

namespace Caseline.Server.Web;

/// <summary>How the pages name sections and fields and show their values. The field tables of the wire contract drive it all.</summary>
internal static class Display
{
    private static readonly Dictionary<Section, string> Slugs = new()
    {
        [Section.PersonalDetails] = "personal",
        [Section.AccountDetails] = "account",
        [Section.EmailDetails] = "email",
    };

    /// <summary>The section's segment in a page's address: <c>personal</c>, <c>account</c>, <c>email</c>, or its collection (<c>addresses</c>).</summary>
    public static string Slug(Section section) => section.CollectionName ?? Slugs[section];

    public static Section? FromSlug(string? slug) =>
        Section.All.FirstOrDefault(s => string.Equals(Slug(s), slug, StringComparison.OrdinalIgnoreCase));

    /// <summary>A section's heading: <c>Address Details</c> shows as "Addresses".</summary>
    public static string Title(Section section) => section.Name switch
    {
        "Personal Details" => "Personal",
        "Account Details" => "Account",
        "Email Details" => "Email",
        "Address Details" => "Addresses",
        "Contact Details" => "Phones",
        "Vehicle Details" => "Vehicles",
        "Employment Details" => "Employers",
        "Case Details" => "Court cases",
        "Protective Order Details" => "Protective orders",
        _ => section.Name,
    };

    /// <summary>One item's noun: "address", "phone", "court case".</summary>
    public static string ItemNoun(Section section) => section.Name switch
    {
        "Address Details" => "address",
        "Contact Details" => "phone",
        "Vehicle Details" => "vehicle",
        "Employment Details" => "employer",
        "Case Details" => "court case",
        "Protective Order Details" => "protective order",
        _ => section.Name,
    };

    /// <summary>The noun with its article: "an address", "a phone".</summary>
    public static string WithArticle(string noun) => ("aeiou".Contains(noun[0], StringComparison.Ordinal) ? "an " : "a ") + noun;

    /// <summary>A field's label: its wire name split into words ("AssignedCaseload" is "Assigned caseload").</summary>
    public static string Label(string field) => field switch
    {
        "IntegrationId" => "Identifier",
        "Ethinicity" => "Ethnicity",
        "TimeZone" => "Time zone",
        "DateOfBirth" => "Date of birth",
        "IsPrimary" => "Primary offense",
        _ => Words(field),
    };

    /// <summary>Which lookup list feeds a field's drop-down, if any.</summary>
    public static string? Lookup(string field) => field switch
    {
        "TimeZone" => "timeZones",
        "Gender" => "genders",
        "Ethinicity" => "ethnicities",
        "StaticRiskRating" => "staticRiskRatings",
        "NeedsClassification" => "needsClassifications",
        "AssignedCaseload" => "caseloads",
        "AssignedOfficer" => "officers",
        "Category" => "offenseCategories",
        _ => null,
    };

    /// <summary>Whether a lookup only suggests values (free text stays allowed) rather than listing the only choices.</summary>
    public static bool Suggests(string kind) => kind is "caseloads" or "officers";

    /// <summary>A field's value as text, or null when it has none.</summary>
    public static string? Text(JsonElement details, string field) =>
        details.ValueKind == JsonValueKind.Object && details.TryGetProperty(field, out var value) ? Text(value) : null;

    public static string? Text(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString(),
        JsonValueKind.Number => value.GetRawText(),
        JsonValueKind.True => "Yes",
        JsonValueKind.False => "No",
        JsonValueKind.Array => string.Join("; ", value.EnumerateArray().Select(Summary)),
        _ => null,
    };

    /// <summary>The raw value a form field starts from: booleans as <c>true</c>/<c>false</c>, everything else as its text.</summary>
    public static string? FormValue(JsonElement details, string field) =>
        details.ValueKind == JsonValueKind.Object && details.TryGetProperty(field, out var value)
            ? value.ValueKind switch
            {
                JsonValueKind.True => "true",
                JsonValueKind.False => "false",
                JsonValueKind.String or JsonValueKind.Number => Text(value),
                _ => null,
            }
            : null;

    /// <summary>The objects of a list field (a case's offenses).</summary>
    public static IReadOnlyList<JsonElement> Items(JsonElement details, string field) =>
        details.ValueKind == JsonValueKind.Object && details.TryGetProperty(field, out var value) && value.ValueKind == JsonValueKind.Array
            ? [.. value.EnumerateArray()]
            : [];

    /// <summary>The fields whose values differ between two states of one section or item (null: it did not exist).</summary>
    public static IReadOnlyList<FieldChange> Diff(Section section, JsonElement? before, JsonElement? after)
    {
        var changes = new List<FieldChange>();
        foreach (var field in section.Fields)
        {
            var old = before is { } b ? Text(b, field.Name) : null;
            var now = after is { } a ? Text(a, field.Name) : null;
            if (!string.Equals(old, now, StringComparison.Ordinal))
            {
                changes.Add(new FieldChange(Label(field.Name), old, now));
            }
        }

        return changes;
    }

    /// <summary>
    /// A validator's message in the page's words: it begins with the field's wire name ("FirstName is required"),
    /// which becomes the label beside the field ("First name is required").
    /// </summary>
    public static string[] Worded(string key, string[] messages)
    {
        var name = key[(key.LastIndexOf('.') + 1)..];
        name = name.Contains('[', StringComparison.Ordinal) ? name[..name.IndexOf('[', StringComparison.Ordinal)] : name;
        var label = Label(name);
        return [.. messages.Select(m => m.StartsWith(name + " ", StringComparison.Ordinal) ? label + m[name.Length..] : m)];
    }

    /// <summary>Every message of a validator's errors in the page's words (see <see cref="Worded(string, string[])"/>).</summary>
    public static Dictionary<string, string[]> Worded(IReadOnlyDictionary<string, string[]> errors) =>
        errors.ToDictionary(e => e.Key, e => Worded(e.Key, e.Value), StringComparer.Ordinal);

    public static string When(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);

    /// <summary>A form field's id for a field key (<c>Offenses[0].Label</c> is <c>f-Offenses-0-Label</c>).</summary>
    public static string Id(string key) =>
        "f-" + string.Concat(key.Select(c => char.IsAsciiLetterOrDigit(c) ? c : '-')).Trim('-').Replace("--", "-", StringComparison.Ordinal);

    private static string Summary(JsonElement item) =>
        item.ValueKind != JsonValueKind.Object
            ? Text(item) ?? ""
            : string.Join(", ", item.EnumerateObject().Select(p => p.Value.ValueKind is JsonValueKind.True or JsonValueKind.False
                ? (p.Value.ValueKind == JsonValueKind.True ? Label(p.Name).ToLowerInvariant() : null)
                : Text(p.Value)).OfType<string>());

    private static string Words(string name)
    {
        var text = new System.Text.StringBuilder();
        foreach (var c in name)
        {
            if (char.IsUpper(c) && text.Length > 0)
            {
                text.Append(' ').Append(char.ToLowerInvariant(c));
            }
            else
            {
                text.Append(c);
            }
        }

        return text.ToString();
    }
}
