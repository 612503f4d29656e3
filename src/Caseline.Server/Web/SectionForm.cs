using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Caseline.Messages;
using Caseline.Server.Lookups;
using Caseline.Server.Sync;

namespace Caseline.Server.Web;

/// <summary>One field of a section's form: its name in the form and in the errors, its rule, its value and its choices.</summary>
/// <param name="Key">The form field's name, which is also the key of its errors (<c>Offenses[0].Label</c>).</param>
/// <param name="Spec">The field's rule in the wire contract.</param>
/// <param name="Value">What the field holds.</param>
/// <param name="Errors">The validator's messages for it, if any.</param>
/// <param name="Choices">The only values a drop-down offers, or null for free input.</param>
/// <param name="Suggestions">Values offered beside free input.</param>
internal sealed record FormField(string Key, FieldSpec Spec, string? Value, string[]? Errors, IReadOnlyList<string>? Choices, IReadOnlyList<string>? Suggestions)
{
    public string Id => Display.Id(Key);

    public string Label => Display.Label(Spec.Name);

    /// <summary>A hint of the form's own, in place of the one the field's kind gives.</summary>
    public string? Hint { get; init; }

    /// <summary>Whether the form may be sent without it, whatever the contract says (the server assigns a new item's identifier).</summary>
    public bool Optional => !Spec.IsRequired || Spec.Kind == FieldKind.Identifier;
}

/// <summary>
/// Turns a section's form into the JSON body the Sync API takes, and a section's state (or a posted form) into form fields.
/// The form posts each field under its wire name, so the validator's messages, keyed by wire name, land beside their fields.
/// </summary>
internal static class SectionForm
{
    /// <summary>The most offense rows a form shows: the contract's limit on offenses.</summary>
    public static int MaxRows(Section section) => section.Fields.FirstOrDefault(f => f.Kind == FieldKind.List)?.MaxItems ?? 0;

    /// <summary>
    /// The Sync body for the section, which <see cref="ClientOperations"/> reads and validates as it reads the API's: every field,
    /// blank ones as null (a section is replaced whole); rows with no value, or ticked "Remove", are left out, and
    /// <paramref name="rowOf"/> says, for each item of the list in the body, the form row it came from (rows left out shift the rest).
    /// </summary>
    public static JsonElement Body(Section section, IFormCollection form, int rows, out List<int> rowOf) =>
        JsonSerializer.SerializeToElement(Fields(section, form, rows, out rowOf), FormJson.Default.JsonObject);

    /// <summary>
    /// The Sync body of a new client from the form of its own <paramref name="sections"/>: personal details always (names are
    /// required), another section only when one of its fields is given.
    /// </summary>
    public static JsonElement ClientBody(IEnumerable<Section> sections, IFormCollection form)
    {
        var body = new JsonObject();
        foreach (var section in sections)
        {
            var part = Fields(section, form, 0, out _);
            if (section == Section.PersonalDetails || part.Any(p => p.Value is not null))
            {
                foreach (var (name, value) in part.ToList())
                {
                    part.Remove(name);
                    body[name] = value;
                }
            }
        }

        return JsonSerializer.SerializeToElement(body, FormJson.Default.JsonObject);
    }

    /// <summary>The form's fields, filled from a stored state (or nothing, for a new item), with one empty offense row to fill.</summary>
    public static (List<FormField> Fields, List<List<FormField>> Rows) From(
        Section section, JsonElement? details, LookupOperations lookups, long agencyId, bool withIdentifier)
    {
        var items = section.Fields.FirstOrDefault(f => f.Kind == FieldKind.List) is { } list && details is { } d ? Display.Items(d, list.Name) : [];
        return Build(section, lookups, agencyId, withIdentifier, Math.Min(items.Count + 1, MaxRows(section)), new Dictionary<string, string[]>(),
            (field, row) => row is { } r
                ? (r < items.Count ? Display.FormValue(items[r], field.Name) : null)
                : details is { } values ? Display.FormValue(values, field.Name) : null);
    }

    /// <summary>The form's fields as they were posted, with the validator's messages beside them.</summary>
    public static (List<FormField> Fields, List<List<FormField>> Rows) Posted(
        Section section, IFormCollection form, int rows, IReadOnlyDictionary<string, string[]> errors, LookupOperations lookups, long agencyId, bool withIdentifier) =>
        Build(section, lookups, agencyId, withIdentifier, rows, errors, (field, row) => form[Key(section, field, row)].ToString());

    private static (List<FormField> Fields, List<List<FormField>> Rows) Build(
        Section section, LookupOperations lookups, long agencyId, bool withIdentifier, int rows, IReadOnlyDictionary<string, string[]> errors, Func<FieldSpec, int?, string?> value)
    {
        var lists = new Lookups(lookups, agencyId);
        var fields = new List<FormField>();
        var table = new List<List<FormField>>();
        foreach (var field in section.Fields.Where(f => withIdentifier || f.Kind != FieldKind.Identifier))
        {
            if (field.Kind != FieldKind.List)
            {
                fields.Add(lists.Field(field.Name, field, value(field, null), errors.GetValueOrDefault(field.Name)));
                continue;
            }

            for (var row = 0; row < rows; row++)
            {
                table.Add([.. field.ItemFields.Select(part =>
                {
                    var key = Key(section, part, row);
                    return lists.Field(key, part, value(part, row), errors.GetValueOrDefault(key));
                })]);
            }
        }

        return (fields, table);
    }

    /// <summary>The validator's errors keyed by the form's rows: <c>Offenses[1].Label</c> of the body may be the form's third row.</summary>
    public static Dictionary<string, string[]> ByFormRow(Section section, IReadOnlyDictionary<string, string[]> errors, List<int> rowOf)
    {
        if (section.Fields.FirstOrDefault(f => f.Kind == FieldKind.List) is not { } list)
        {
            return new(errors, StringComparer.Ordinal);
        }

        var prefix = list.Name + "[";
        var keyed = new Dictionary<string, string[]>(StringComparer.Ordinal);
        foreach (var (key, messages) in errors)
        {
            var end = key.IndexOf(']', StringComparison.Ordinal);
            keyed[key.StartsWith(prefix, StringComparison.Ordinal) && end > prefix.Length
                    && int.TryParse(key.AsSpan(prefix.Length, end - prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var index) && index < rowOf.Count
                ? $"{prefix}{rowOf[index]}{key[end..]}"
                : key] = messages;
        }

        return keyed;
    }

    /// <summary>Whether the row's "Remove" box was ticked: the row is left out of what is saved.</summary>
    public static bool Removed(IFormCollection form, Section section, int row) =>
        section.Fields.FirstOrDefault(f => f.Kind == FieldKind.List) is { } list && form[RemoveKey(list, row)] == "true";

    /// <summary>The form name of a row's "Remove" box.</summary>
    public static string RemoveKey(FieldSpec list, int row) => $"{list.Name}[{row}].Remove";

    // A section's fields as the body's properties.
    private static JsonObject Fields(Section section, IFormCollection form, int rows, out List<int> rowOf)
    {
        var body = new JsonObject();
        rowOf = [];
        foreach (var field in section.Fields)
        {
            // The identifier comes from the address (or is assigned), never from the form's body.
            if (field.Kind == FieldKind.Identifier)
            {
                continue;
            }

            if (field.Kind == FieldKind.List)
            {
                var items = new JsonArray();
                for (var row = 0; row < rows; row++)
                {
                    if (Removed(form, section, row))
                    {
                        continue;
                    }

                    var item = new JsonObject();
                    foreach (var part in field.ItemFields)
                    {
                        item[part.Name] = Value(part, form[Key(section, part, row)].ToString());
                    }

                    if (item.Any(p => p.Value is not null))
                    {
                        items.Add(item);
                        rowOf.Add(row);
                    }
                }

                body[field.Name] = items;
                continue;
            }

            body[field.Name] = Value(field, form[field.Name].ToString());
        }

        return body;
    }

    // A field's form name: its wire name, or for a list item's field the list's name, the row and the field's (Offenses[0].Label).
    private static string Key(Section section, FieldSpec field, int? row) =>
        row is { } r ? $"{section.Fields.First(f => f.Kind == FieldKind.List).Name}[{r}].{field.Name}" : field.Name;

    private static JsonValue? Value(FieldSpec field, string text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        return field.Kind switch
        {
            FieldKind.Boolean => text switch { "true" => JsonValue.Create(true), "false" => JsonValue.Create(false), _ => JsonValue.Create(text) },
            // A number that does not parse goes as text, so that the validator names the field.
            FieldKind.Number => decimal.TryParse(text.Trim(), NumberStyles.Number, CultureInfo.InvariantCulture, out var number) ? JsonValue.Create(number) : JsonValue.Create(text),
            _ => JsonValue.Create(text),
        };
    }

    /// <summary>The agency's lookup lists, each read once per form.</summary>
    private sealed class Lookups(LookupOperations lookups, long agencyId)
    {
        private readonly Dictionary<string, IReadOnlyList<string>> _lists = new(StringComparer.Ordinal);

        public FormField Field(string key, FieldSpec spec, string? value, string[]? errors)
        {
            IReadOnlyList<string>? choices = spec.Kind == FieldKind.Enumeration ? spec.AllowedValues : null;
            IReadOnlyList<string>? suggestions = null;
            if (choices is null && Display.Lookup(spec.Name) is { } kind)
            {
                if (!_lists.TryGetValue(kind, out var list))
                {
                    _lists[kind] = list = lookups.Values(agencyId, kind);
                }

                if (Display.Suggests(kind))
                {
                    suggestions = list;
                }
                else
                {
                    choices = list;
                }
            }

            // A stored value the list no longer offers stays choosable, so that saving another field does not change it.
            if (choices is not null && !string.IsNullOrEmpty(value) && !choices.Contains(value, StringComparer.Ordinal))
            {
                choices = [value, .. choices];
            }

            return new FormField(key, spec, value, errors, choices, suggestions);
        }
    }
}

/// <summary>The form bodies' JSON, source-generated as every boundary's is.</summary>
[JsonSerializable(typeof(JsonObject))]
internal sealed partial class FormJson : JsonSerializerContext;
